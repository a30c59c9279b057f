"""A build interrupted at any point leaves the previous site as it was, and no
temporary folder behind; a bug never shows a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.pages import render
from generator.site import engine as site
from tests.conftest import DEMO_AS_OF
from tests.test_build import copy_demo, temporary_leftovers, tree


class Injected(Exception):
    pass


def explode(*args: object, **kwargs: object) -> None:
    raise Injected("boom with client text: Jordan Avery")


def interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def pages_then_explode(original):  # type: ignore[no-untyped-def]
    written: list[str] = []

    def write_some(page, docs_dir):  # type: ignore[no-untyped-def]
        if len(written) == 10:
            raise Injected("half way")
        target = docs_dir / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(page.content), encoding="utf-8")
        written.append(page.path)
    return write_some


def client_pages_then_explode(*args: object, **kwargs: object) -> str:
    raise Injected("while making client pages")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("faults"))
    result = CliRunner().invoke(cli, ["build", str(root), "--as-of", DEMO_AS_OF])
    assert result.exit_code == 0, result.stderr
    return root


POINTS = {
    "while rendering pages": ("generator.site.build.write_page", pages_then_explode(None)),
    "before MkDocs runs": ("generator.site.build.build_site", explode),
    "while making client pages": ("generator.site.shell.make_page", client_pages_then_explode),
    "inside MkDocs": ("generator.site.engine.mkdocs_build", explode),
    "while swapping the site in": ("generator.site.engine._swap_in", explode),
    "Ctrl+C inside MkDocs": ("generator.site.engine.mkdocs_build", interrupt),
}


@pytest.mark.parametrize("point", sorted(POINTS))
def test_interrupted_build_keeps_the_previous_site(workspace: Path, point: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(workspace / "site")
    target, replacement = POINTS[point]
    monkeypatch.setattr(target, replacement)
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", "2026-12-01"])
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output + result.stderr
    assert "Jordan Avery" not in result.stderr  # an internal error quotes no caseload text
    assert tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


def test_internal_error_is_one_line_and_exit_2(workspace: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("generator.cli.build_report", explode)
    result = CliRunner().invoke(cli, ["check", str(workspace), "--as-of", DEMO_AS_OF])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "caseload: internal error (Injected); nothing was written. "
        "Run again with CASELOAD_DEBUG=1 for details, and please report it."
    ]


def test_module_names_used_above_exist() -> None:
    # The injection points are real names, so the tests above cannot pass vacuously.
    assert callable(site.mkdocs_build) and callable(site._swap_in)
    assert callable(render.write_page)
