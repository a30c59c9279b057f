"""A build takes nothing from the previous site that is not what a build made.

Unchanged client pages are taken from the previous site (see site/reuse.py):
only regular files, never through a link, and only with the bytes recorded
when they were made. Whatever else is found there is made afresh, and nothing
a link points to is read or changed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.private import make_private
from generator.site import reuse, shell
from generator.site.engine import MARKER_NAME
from tests.conftest import DEMO_AS_OF
from tests.test_build import copy_demo, site_tree


def build(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF])
    assert result.exit_code == 0, result.stderr


# The module's built site keeps its page identities in a cache folder of its own
# (they live in the user's cache folder, not in the site): copies take them along.
BUILT_CACHE: list[Path] = []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = copy_demo(tmp_path_factory.mktemp("reuse") / "ws")
    cache = tmp_path_factory.mktemp("reuse-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        build(workspace)
    BUILT_CACHE[:] = [workspace / "site", cache]
    return workspace


def identities_record(site: Path) -> Path:
    """Where the page identities of `site` are written down (the module's built site's
    in its own cache folder)."""
    with pytest.MonkeyPatch.context() as patch:
        if BUILT_CACHE and site == BUILT_CACHE[0]:
            patch.setenv("XDG_CACHE_HOME", str(BUILT_CACHE[1]))
        return reuse.identities_file(site)


@pytest.fixture
def workspace(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> tuple[Path, list[str]]:
    """A copy of the built workspace, and the client pages the next build makes."""
    copy = tmp_path / "ws"
    shutil.copytree(built, copy, symlinks=True)  # file times kept, as in place
    record = reuse.identities_file(copy / "site")
    record.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(identities_record(built / "site"), record)
    made: list[str] = []
    real = shell.make_page
    monkeypatch.setattr(shell, "make_page",
                        lambda frame, conv, job, *rest: (made.append(job[0]),
                                                         real(frame, conv, job, *rest))[1])
    return copy, made


def test_a_hand_edited_page_is_made_again(built: Path, workspace: tuple[Path, list[str]]
                                          ) -> None:
    copy, made = workspace
    clients = copy / "site" / "clients"
    longer = clients / "C-1001.html"
    longer.write_bytes(longer.read_bytes().replace(b"</article>", b"<p>Added.</p></article>"))
    same_size = clients / "C-1002.html"  # in place: the same file, the same size
    data = same_size.read_bytes()
    with open(same_size, "r+b") as file:
        file.write(b"X" + data[1:])
    build(copy)
    assert sorted(made) == ["C-1001", "C-1002"]
    assert site_tree(copy / "site") == site_tree(built / "site")


def identities(site: Path) -> dict[str, reuse.Identity]:
    return reuse.read_identities(str(identities_record(site)))[0]


def test_a_page_copied_or_touched_but_unchanged_is_taken_after_hashing(
        built: Path, workspace: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    copy, made = workspace  # copied: every page another inode, so every page is hashed
    page = copy / "site" / "clients" / "C-1003.html"
    os.utime(page, ns=(1, 1))
    hashed: list[str] = []
    real = reuse.Previous._sha256
    monkeypatch.setattr(reuse.Previous, "_sha256",
                        lambda self, name: (hashed.append(name), real(self, name))[1])
    build(copy)
    assert made == [] and len(hashed) == 45
    assert site_tree(copy / "site") == site_tree(built / "site")
    info = page.stat()
    assert identities(copy / "site")["C-1003.html"] == (info.st_ino, info.st_size,
                                                        info.st_mtime_ns)
    hashed.clear()
    build(copy)  # now their identities are the ones written down: none is read again
    assert made == [] and hashed == []


def test_a_page_written_in_the_tick_of_the_record_is_hashed(
        built: Path, workspace: tuple[Path, list[str]]) -> None:
    copy, made = workspace
    build(copy)
    site = copy / "site"
    page = site / "clients" / "C-1004.html"
    before = page.stat()
    data = page.read_bytes()
    with open(page, "r+b") as file:  # the same size, and the time set back: the same identity
        file.write(b"X" + data[1:])
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    record = identities_record(site)  # as if written down in the same tick as the page
    os.utime(record, ns=(before.st_mtime_ns, before.st_mtime_ns))
    build(copy)
    assert made == ["C-1004"]
    assert site_tree(site) == site_tree(built / "site")


def test_a_link_in_the_previous_site_is_not_carried_over(
        built: Path, workspace: tuple[Path, list[str]], tmp_path: Path) -> None:
    copy, made = workspace
    outside = tmp_path / "outside.html"
    page = copy / "site" / "clients" / "C-1002.html"
    shutil.copy2(page, outside)  # even with the very bytes recorded
    os.chmod(outside, 0o644)
    before = outside.stat()
    page.unlink()
    page.symlink_to(outside)
    build(copy)
    assert made == ["C-1002"]
    assert not page.is_symlink() and stat.S_ISREG(page.lstat().st_mode)
    assert page.lstat().st_ino != before.st_ino
    after = outside.stat()
    assert stat.S_IMODE(after.st_mode) == 0o644 and after.st_nlink == 1
    assert site_tree(copy / "site") == site_tree(built / "site")


def test_a_fifo_or_a_folder_link_in_the_previous_site_is_not_read(
        built: Path, workspace: tuple[Path, list[str]], tmp_path: Path) -> None:
    copy, made = workspace
    fifo = copy / "site" / "clients" / "C-1003.html"
    fifo.unlink()
    os.mkfifo(fifo)  # opening it to read would wait for ever
    build(copy)
    assert made == ["C-1003"]
    made.clear()
    elsewhere = tmp_path / "elsewhere"
    shutil.move(copy / "site" / "clients", elsewhere)
    os.chmod(elsewhere, 0o755)
    (copy / "site" / "clients").symlink_to(elsewhere, target_is_directory=True)
    build(copy)
    assert len(made) == 45  # nothing taken through the link
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert site_tree(copy / "site") == site_tree(built / "site")


def test_the_marker_records_each_page_as_written(built: Path) -> None:
    marker = json.loads((built / "site" / MARKER_NAME).read_text(encoding="utf-8"))
    page = built / "site" / "clients" / "C-1001.html"
    recorded = reuse.Recorded.of(marker["pages"]["C-1001"])
    assert recorded is not None
    data = page.read_bytes()
    assert recorded.written.sha256 == hashlib.sha256(data).hexdigest()
    assert recorded.written.size == len(data)
    assert "C-1001.html" in identities(built / "site")  # identities: per build, not in the marker
    assert len(marker["pages"]["C-1001"]) == 3


def test_make_private_never_follows_a_link(tmp_path: Path) -> None:
    outside_file = tmp_path / "outside.txt"
    outside_file.write_text("mine", encoding="utf-8")
    os.chmod(outside_file, 0o644)
    outside_dir = tmp_path / "outside"
    outside_dir.mkdir(mode=0o755)
    (outside_dir / "inner.txt").write_text("mine too", encoding="utf-8")
    os.chmod(outside_dir / "inner.txt", 0o644)
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "page.html").write_text("x", encoding="utf-8")
    (root / "file-link").symlink_to(outside_file)
    (root / "sub" / "folder-link").symlink_to(outside_dir, target_is_directory=True)
    make_private(root)
    assert stat.S_IMODE((root / "sub").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "sub" / "page.html").stat().st_mode) == 0o600
    assert stat.S_IMODE(outside_file.stat().st_mode) == 0o644
    assert stat.S_IMODE(outside_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE((outside_dir / "inner.txt").stat().st_mode) == 0o644


def test_without_hard_links_a_page_is_copied_only_with_its_recorded_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    kept = reuse.write_page(str(old / "a.html"), b"<p>a</p>")
    edited = reuse.write_page(str(old / "b.html"), b"<p>b</p>")
    (old / "b.html").write_bytes(b"<p>B</p>")  # the same size
    (old / "c.html").symlink_to(old / "a.html")

    def no_hard_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_hard_links)
    with reuse.Previous(str(old), str(new), {}, 0) as previous:
        copied = previous.take("a.html", kept)
        assert previous.take("b.html", edited) is None
        assert previous.take("c.html", kept) is None  # a link, even to the right bytes
        assert previous.take("gone.html", kept) is None
    assert sorted(os.listdir(new)) == ["a.html"]
    assert (new / "a.html").read_bytes() == b"<p>a</p>"
    info = (new / "a.html").stat()
    assert copied is not None and copied.identity == (info.st_ino, info.st_size, info.st_mtime_ns)
    assert info.st_ino != (old / "a.html").stat().st_ino


def test_a_marker_that_is_not_a_regular_file_is_no_marker(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_text('{"pages": {}}', encoding="utf-8")
    (tmp_path / "link").symlink_to(real)
    os.mkfifo(tmp_path / "fifo")  # read, it would wait for a writer for ever
    assert reuse.read_marker(str(real)) == {"pages": {}}
    assert reuse.read_marker(str(tmp_path / "link")) == {}
    assert reuse.read_marker(str(tmp_path / "fifo")) == {}
    assert reuse.read_marker(str(tmp_path / "missing")) == {}
