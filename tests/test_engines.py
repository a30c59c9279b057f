"""Both site engines build the demo: MkDocs here, ProperDocs in a process of its own.

The files the two build differently, and every line in which they differ, are
pinned (tests/golden/engine-differences.txt, version numbers written as N), so
that a change in either engine shows up here. A build after switching engines
is the same bytes as a cold build with the new one: the engine is in every
page's key. A CASELOAD_ENGINE caseload does not know stops every site command
before it reads anything.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.model.site import SiteSettings
from generator.site import engine, engines
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_build import copy_demo, site_tree, temporary_leftovers

GOLDEN = ROOT / "tests" / "golden" / "engine-differences.txt"
MARKER = ".caseload-site"
_VERSION = re.compile(r"\d+(?:\.\d+)+")


def build(workspace: Path, site: Path, engine_name: str | None, *args: str) -> str:
    env = {engines.VARIABLE: engine_name} if engine_name else {}
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF,
                                      "--site-dir", str(site), *args], env=env)
    assert result.exit_code == 0, result.stderr
    # No "caseload: ... (slower)" line: the shell and the long tables worked with both.
    assert result.stderr.splitlines()[:-1] == []
    return result.stderr


@pytest.fixture(scope="module")
def properdocs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("properdocs") / "site"
    build(ROOT, site, "properdocs")
    return site


def differences(first: dict[str, bytes], second: dict[str, bytes]) -> str:
    """The files that differ, then every line that differs, versions as N."""
    assert first.keys() == second.keys()
    files = sorted(name for name in first if first[name] != second[name])
    lines: set[str] = set()
    for name in files:
        if name == MARKER:  # the SHA-256 of the pages that differ: nothing more to see
            continue
        for line in difflib.unified_diff(first[name].decode().splitlines(),
                                         second[name].decode().splitlines(), n=0):
            if line[:1] in "+-" and line[:3] not in ("+++", "---"):
                lines.add(_VERSION.sub("N", f"{line[0]} {line[1:].strip()}"))
    return ("# Built by MkDocs and by ProperDocs: the demo's files that differ, then the lines\n"
            "# that do (- MkDocs, + ProperDocs; versions as N). tests/test_engines.py\n"
            + "".join(f"{name}\n" for name in files) + "# lines\n"
            + "".join(f"{line}\n" for line in sorted(lines)))


def test_the_engines_differ_only_where_pinned(demo_site: Path, properdocs_site: Path,
                                              update_golden: bool) -> None:
    found = differences(site_tree(demo_site), site_tree(properdocs_site))
    if update_golden:
        GOLDEN.write_text(found, encoding="utf-8")
    assert found == GOLDEN.read_text(encoding="utf-8")


def test_pages_are_keyed_by_the_engine(demo_site: Path, properdocs_site: Path) -> None:
    def keys(site: Path) -> dict[str, str]:
        marker = json.loads((site / MARKER).read_text(encoding="utf-8"))
        return {stem: entry[0] for stem, entry in marker["pages"].items()}

    mkdocs_keys, properdocs_keys = keys(demo_site), keys(properdocs_site)
    assert mkdocs_keys.keys() == properdocs_keys.keys()
    assert not set(mkdocs_keys.values()) & set(properdocs_keys.values())


def test_the_fingerprint_names_the_engine() -> None:
    settings = SiteSettings("mkdocs.yml", {"theme": {"name": "material"}})
    assert engine.engine_fingerprint(settings, engines.MKDOCS) \
        != engine.engine_fingerprint(settings, engines.PROPERDOCS)


@pytest.mark.parametrize("first, then", [("mkdocs", "properdocs"), ("properdocs", "mkdocs")])
def test_a_build_after_switching_engines_equals_a_cold_build(
        demo_site: Path, properdocs_site: Path, tmp_path: Path, first: str, then: str) -> None:
    cold = {"mkdocs": demo_site, "properdocs": properdocs_site}
    site = tmp_path / "site"
    shutil.copytree(cold[first], site)
    build(ROOT, site, then)
    assert site_tree(site) == site_tree(cold[then])


COMMANDS = {
    "build": ["build", "{ws}"],
    "serve": ["serve", "{ws}", "--port", "0"],
    "snapshot": ["snapshot", "{ws}", "--no-commit"],
    "audit": ["audit", "{ws}/audits/summit-2026-11.yaml", "{ws}"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("value", ["MkDocs", "zensical", "properdocs "])
def test_an_unknown_engine_stops_every_site_command_before_any_work(
        tmp_path: Path, command: str, value: str) -> None:
    workspace = copy_demo(tmp_path / "ws")
    shutil.copytree(ROOT / "audits", workspace / "audits")
    # Invalid content too: the engine is checked first, so this is never read.
    (workspace / "content" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    before = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    args = [arg.format(ws=workspace) for arg in COMMANDS[command]]
    result = CliRunner().invoke(cli, [*args, "--as-of", DEMO_AS_OF],
                                env={engines.VARIABLE: value})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"CASELOAD_ENGINE={value!r} is not a site engine caseload knows; "
        "use mkdocs or properdocs (unset: mkdocs)"]
    assert sorted(p.relative_to(workspace) for p in workspace.rglob("*")) == before


def test_an_engine_that_is_not_installed_is_named(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = engines.importlib.util.find_spec
    monkeypatch.setattr(engines.importlib.util, "find_spec",
                        lambda name: None if name == "properdocs" else real(name))
    result = CliRunner().invoke(cli, ["build", str(copy_demo(tmp_path)), "--as-of", DEMO_AS_OF],
                                env={engines.VARIABLE: "properdocs"})
    assert result.exit_code == 2
    assert result.stderr == ("CASELOAD_ENGINE=properdocs needs ProperDocs, which is not "
                             "installed: pip install 'caseload[properdocs]'\n")


def test_an_empty_choice_is_mkdocs() -> None:
    assert engines.chosen_engine({engines.VARIABLE: ""}) is engines.MKDOCS
    assert engines.chosen_engine({}) is engines.MKDOCS
    assert engines.chosen_engine({engines.VARIABLE: "properdocs"}) is engines.PROPERDOCS


def test_the_engine_process_never_imports_from_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `python -P`: a workspace file named like a module the engine imports stays a file.
    workspace = copy_demo(tmp_path / "ws")
    planted = tmp_path / "ws" / "ran"
    for module in ("markdown", "mkdocs", "properdocs", "material", "yaml", "jinja2"):
        (workspace / f"{module}.py").write_text(
            f"open({str(planted)!r}, 'a').write('{module}')\n", encoding="utf-8")
    monkeypatch.chdir(workspace)
    build(workspace, workspace / "site", "properdocs")
    assert not planted.exists()


def test_a_failure_in_the_engine_process_is_one_line_and_keeps_the_site(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path)
    build(workspace, workspace / "site", "properdocs")
    before = site_tree(workspace / "site")
    overview = workspace / "templates" / "overview.md.j2"
    overview.write_text(overview.read_text(encoding="utf-8")
                        + '\n<script src="https:evil.example/x.js"></script>\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF],
                                env={engines.VARIABLE: "properdocs"})
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "site build failed: index.html refers outside the site, to evil.example; a caseload "
        "site loads nothing from elsewhere and links nowhere else (look at the workspace's "
        "templates/)"]
    assert site_tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


def test_a_client_page_that_fails_to_render_stops_the_engine_process(tmp_path: Path) -> None:
    # Client pages are rendered by this process while the engine's waits for them.
    workspace = copy_demo(tmp_path)
    build(workspace, workspace / "site", "properdocs")
    before = site_tree(workspace / "site")
    (workspace / "templates" / "client.md.j2").write_text("{{ no_such_name }}\n",
                                                          encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF],
                                env={engines.VARIABLE: "properdocs"})
    assert result.exit_code == 2
    assert "no_such_name" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert site_tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


@pytest.mark.parametrize("engine_name", ["mkdocs", "properdocs"])
def test_progress_is_reported_the_same_from_either_engine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine_name: str) -> None:
    from contextlib import contextmanager

    from generator.cli import make_site_inputs
    from generator.site import build as site_build

    seen: list[tuple[str, int, int]] = []

    @contextmanager
    def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
        done = [0]
        yield lambda count: done.__setitem__(0, done[0] + count)
        seen.append((label, total, done[0]))

    monkeypatch.setenv(engines.VARIABLE, engine_name)
    report, settings, audits = make_site_inputs(ROOT, date.fromisoformat(DEMO_AS_OF), None, None)
    site_build.build(report, ROOT, tmp_path / "site", settings=settings, progress=progress,
                     audits=audits)
    clients = len(report.evaluations)
    assert ("Making client pages", clients, clients) in seen
