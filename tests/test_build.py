"""`caseload build` end to end: reproducible, atomic, and scoped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from tests.conftest import DEMO_AS_OF, ROOT


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def site_tree(root: Path) -> dict[str, bytes]:
    """Every file of a built site (all of them the same bytes for the same input and date)."""
    return tree(root)


def copy_demo(target: Path) -> Path:
    for name in ("content", "site_config", "templates"):
        shutil.copytree(ROOT / name, target / name)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    return target


LOCK_FILES = (".caseload.lock", ".site.lock")  # they stay, empty, for the next build


def temporary_leftovers(workspace: Path) -> list[str]:
    """Hidden folders and files: staging or temporary ones (not the lock files)."""
    return sorted(p.name for p in workspace.iterdir()
                  if p.name.startswith(".") and p.name not in LOCK_FILES)


def build(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF, *args])
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = copy_demo(tmp_path_factory.mktemp("ws"))
    code, err = build(workspace)
    assert code == 0, err
    return workspace


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    other = copy_demo(tmp_path / "again")
    assert build(other)[0] == 0
    assert site_tree(built / "site") == site_tree(other / "site")


def test_no_wall_clock_time_in_the_site(built: Path) -> None:
    today = __import__("datetime").date.today().isoformat()
    inputs = b"".join(p.read_bytes() for p in (built / "content").rglob("*.yaml"))
    if today == DEMO_AS_OF or today.encode() in inputs:
        pytest.skip("today's date is in the caseload itself: cannot tell the clock from it")
    offenders = [name for name, data in tree(built / "site").items()
                 if today.encode() in data]
    assert offenders == []


def test_site_is_private_to_its_owner(built: Path) -> None:
    modes = {oct(path.stat().st_mode & 0o777) for path in (built / "site").rglob("*")}
    assert modes <= {"0o700", "0o600"}


def test_invalid_input_after_a_good_build_keeps_the_site(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    assert build(workspace)[0] == 0
    before = tree(workspace / "site")
    (workspace / "content" / "broken.yaml").write_text("id: C-9\nname: [\n", encoding="utf-8")
    code, err = build(workspace)
    assert code == 2
    assert err.startswith("content/broken.yaml:")
    assert "Traceback" not in err
    assert tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


def test_template_error_keeps_the_site(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    assert build(workspace)[0] == 0
    before = tree(workspace / "site")
    (workspace / "templates" / "roster.md.j2").write_text("{{ no_such_name }}\n",
                                                          encoding="utf-8")
    code, err = build(workspace)
    assert code == 2
    assert "no_such_name" in err and "Traceback" not in err
    assert tree(workspace / "site") == before


def test_workspace_template_overrides_the_builtin(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    (workspace / "templates" / "rules.md.j2").write_text(
        "---\ntitle: House rules\n---\n# House rules\n\nOur own words.\n", encoding="utf-8")
    assert build(workspace)[0] == 0
    assert "Our own words." in (workspace / "site" / "rules.html").read_text(encoding="utf-8")


def test_payer_packet_holds_only_that_payer(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    code, _ = build(workspace, "--payer", "summit-health")
    assert code == 0
    clients = sorted(p.stem for p in (workspace / "site" / "clients").glob("*.html"))
    assert clients
    index = (workspace / "site" / "index.html").read_text(encoding="utf-8")
    assert "payer summit-health" in index
    result = CliRunner().invoke(cli, ["check", str(workspace), "--as-of", DEMO_AS_OF,
                                      "--payer", "summit-health", "--format", "json"])
    assert clients == [c["id"] for c in json.loads(result.stdout)["clients"]]


def test_without_mkdocs_yml_the_built_in_settings_are_used(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    os.remove(workspace / "mkdocs.yml")
    code, err = build(workspace)
    assert code == 0, err
    assert (workspace / "site" / "clients" / "C-1001.html").is_file()
    assert not (workspace / "mkdocs.yml").exists()


def test_a_rebuild_renders_only_the_client_that_changed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.pages.render import ClientPages
    from generator.site import passthrough

    workspace = copy_demo(tmp_path)
    assert build(workspace)[0] == 0
    before = site_tree(workspace / "site")
    rendered: list[str] = []
    real = ClientPages.render
    monkeypatch.setattr(ClientPages, "render",
                        lambda self, stem: (rendered.append(stem), real(self, stem))[1])
    restored: list[str] = []  # tables with the client in them that went around the engine
    real_restore = passthrough.Cut.restore
    monkeypatch.setattr(passthrough.Cut, "restore",
                        lambda self, html: (restored.extend(t for t in self.tables
                                                            if "C-1001" in t),
                                            real_restore(self, html))[1])
    source = workspace / "content" / "lee" / "C-1001.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("Castellanos", "Castell"),
                      encoding="utf-8")
    assert build(workspace)[0] == 0
    assert rendered == ["C-1001"]
    after = site_tree(workspace / "site")
    changed = sorted(n for n in after if after[n] != before.get(n))
    assert "clients/C-1001.html" in changed
    assert "roster.html" in changed and restored  # the client's row, in a table put back
    assert not [n for n in changed if n.startswith("clients/") and n != "clients/C-1001.html"]
    # The same site as a build from scratch would make:
    fresh = copy_demo(tmp_path / "fresh")
    shutil.copy(source, fresh / "content" / "lee" / "C-1001.yaml")
    assert build(fresh)[0] == 0
    assert site_tree(fresh / "site") == after


def test_a_new_date_renders_every_client_again(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.pages.render import ClientPages

    workspace = copy_demo(tmp_path)
    assert build(workspace)[0] == 0
    rendered: list[str] = []
    real = ClientPages.render
    monkeypatch.setattr(ClientPages, "render",
                        lambda self, stem: (rendered.append(stem), real(self, stem))[1])
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", "2026-11-29"])
    assert result.exit_code == 0
    assert len(rendered) == 45


def test_a_shell_that_does_not_fit_says_so_in_one_line(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    template = workspace / "templates" / "client.md.j2"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "hide:\n  - toc\n", "{% if e.client.id != 'C-1002' %}\nhide:\n  - toc\n{% endif %}\n"),
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[:-1] == ["caseload: client pages built by MkDocs one by one (slower): "
                          "C-1002.md has other front matter than its shell"]
    assert lines[-1].startswith("Built ")


def test_a_table_that_does_not_pass_through_says_so_in_one_line(tmp_path: Path) -> None:
    from tests.test_passthrough import TABLE

    workspace = copy_demo(tmp_path)
    rules = workspace / "templates" / "rules.md.j2"
    rules.write_text(rules.read_text(encoding="utf-8")
                     + f"\n```\nQuoted.\n\n{TABLE}\n\nMore.\n```\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[:-1] == [
        "caseload: rules.md converted with its long tables inside MkDocs' Markdown (slower): "
        "an emptied table did not come back as it went in"]
    assert "&lt;table&gt;" in (workspace / "site" / "rules.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("template, markup, page, host", [
    ("overview.md.j2", '<script src="https:evil.example/x.js"></script>', "index.html",
     "evil.example"),
    ("client.md.j2", '<img src="//evil.example/{{ site.name(e) }}.png">',
     "clients/C-1001.html", "evil.example"),
    ("client.md.j2", '<a href="javascript:alert(\'{{ site.name(e) }}\')">x</a>',
     "clients/C-1001.html", "javascript:"),
])
def test_a_template_that_refers_off_the_machine_fails_the_build(
        tmp_path: Path, template: str, markup: str, page: str, host: str) -> None:
    workspace = copy_demo(tmp_path)
    assert build(workspace)[0] == 0
    before = tree(workspace / "site")
    path = workspace / "templates" / template
    path.write_text(path.read_text(encoding="utf-8") + f"\n{markup}\n", encoding="utf-8")
    code, err = build(workspace)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"site build failed: {page} refers outside the site, to {host}"), err
    assert "Castellanos" not in err and "alert" not in err  # the host, never the URL
    assert tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


@pytest.mark.parametrize("day", ["2106-02-07", "2106-02-08", "9999-12-31"])
def test_a_late_as_of_date_builds(tmp_path: Path, day: str) -> None:
    workspace = copy_demo(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", day])
    assert result.exit_code == 0, result.stderr
    assert f"as of {day}" in result.stderr
    assert (workspace / "site" / "sitemap.xml.gz").is_file()


# --- where the site goes: clear errors, private folders ---------------------------------


def test_site_dir_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    code, err = build(workspace, "--site-dir", str(tmp_path / "notes.txt" / "site"))
    assert code == 2
    assert err.strip().splitlines() == [
        f"cannot create {tmp_path / 'notes.txt' / 'site'}: {tmp_path / 'notes.txt'} "
        "is not a folder"]
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_parents_made_for_the_site_are_private(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    saved = os.umask(0o022)
    try:
        code, err = build(workspace, "--site-dir", str(tmp_path / "a" / "b" / "site"))
    finally:
        os.umask(saved)
    assert code == 0, err
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "site"):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder


@contextmanager
def made_unwritable(folder: Path) -> Iterator[Path]:
    """`folder`, which this process may then not write in: read-only by its mode, or,
    for root (who ignores modes), immutable (chattr +i) where the file system allows."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(folder)],
                                            capture_output=True).returncode != 0:
            pytest.skip("running as root, and chattr +i is not available here")
        try:
            yield folder
        finally:
            subprocess.run([chattr, "-i", str(folder)], check=True)
    else:
        mode = folder.stat().st_mode & 0o777
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(mode)


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "locked"
    folder.mkdir()
    with made_unwritable(folder):
        yield folder


def test_an_unwritable_parent_is_a_clear_error(tmp_path: Path, unwritable: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    for site, cannot in ((unwritable / "site", unwritable.resolve() / ".site.lock"),
                         (unwritable / "new" / "site", unwritable / "new")):
        code, err = build(workspace, "--site-dir", str(site))
        assert code == 2
        assert err.strip().splitlines() in (
            [f"cannot create {cannot}: Permission denied"],
            [f"cannot create {cannot}: Operation not permitted"])  # immutable, for root


def test_an_unwritable_parent_is_a_clear_error_even_for_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores permission bits, so what the system says to anyone else is faked."""
    import errno

    import generator.private
    import generator.site.lock

    workspace = copy_demo(tmp_path / "ws")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path: object, mode: int = 0o777) -> None:
        if Path(str(path)).parent == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        real_mkdir(path, mode)  # type: ignore[arg-type]

    class Lock:  # filelock, as it fails in a folder one may not write in
        def __init__(self, path: object, **kwargs: object) -> None:
            self.path = Path(str(path))

        def acquire(self, timeout: float = -1) -> None:
            if self.path.parent == locked:
                raise PermissionError(errno.EACCES, "Permission denied", str(self.path))

        def release(self) -> None:
            pass

    monkeypatch.setattr(generator.private.os, "mkdir", mkdir)
    monkeypatch.setattr(generator.site.lock, "FileLock", Lock)
    code, err = build(workspace, "--site-dir", str(locked / "new" / "site"))
    assert code == 2
    assert err.strip().splitlines() == [f"cannot create {locked / 'new'}: Permission denied"]
    code, err = build(workspace, "--site-dir", str(locked / "site"))
    assert code == 2
    assert err.strip().splitlines() == [
        f"cannot create {locked.resolve() / '.site.lock'}: Permission denied"]
    assert list(locked.iterdir()) == []
