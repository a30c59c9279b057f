"""Files that cannot be read, or are too large, are named, never half-read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from generator.reading import exact as load
from generator.reading.exact import WorkspaceInvalid, load_workspace


def workspace(root: Path) -> Path:
    (root / "content").mkdir()
    (root / "content" / "a.yaml").write_text("id: C-1\nname: A\nintake_date: 2026-01-01\n",
                                             encoding="utf-8")
    return root


def test_a_file_over_the_limit_is_refused_with_the_limit(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 1024 * 1024)
    root = workspace(tmp_path)
    big = root / "content" / "big.yaml"
    big.write_bytes(b"# filler\n" * 250_000)  # 2.4 MiB
    with pytest.raises(WorkspaceInvalid) as caught:
        load_workspace(root)
    (error,) = caught.value.errors
    assert str(error) == ("content/big.yaml:1: file: is 2 MiB; the limit is 1 MiB a file: "
                          "split it into several files")


def test_the_real_limit_is_32_mib() -> None:
    assert load.MAX_FILE_BYTES == 32 * 1024 * 1024


def test_an_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = workspace(tmp_path)
    original = os.open

    # Root may read any file whatever its mode, so the refusal is made here.
    def refuse(path: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "a.yaml":
            raise PermissionError(13, "Permission denied")
        return original(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(WorkspaceInvalid) as caught:
        load_workspace(root)
    assert [str(e) for e in caught.value.errors] == [
        "content/a.yaml:1: file: cannot be read (Permission denied)"
    ]


def test_a_payers_folder_that_leads_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    root = workspace(tmp_path / "ws")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "aetna.yaml").write_text("name: Aetna\n", encoding="utf-8")
    (root / "site_config").mkdir()
    (root / "site_config" / "payers").symlink_to(outside)
    with pytest.raises(WorkspaceInvalid) as caught:
        load_workspace(root)
    assert [str(e) for e in caught.value.errors] == [
        "site_config/payers/aetna.yaml:1: file: is a link to a place outside the workspace; "
        "not read"
    ]
