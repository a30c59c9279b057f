"""A workspace's own templates run in Jinja's immutable sandbox.

A template in the workspace's templates/ is code from outside caseload: in a
plain Jinja environment, `{{ cycler.__init__.__globals__.os.system(...) }}` runs
any command. In the sandbox an unsafe access fails the build with exit 2 and
one line naming the template and its line, runs nothing and keeps the old site;
legitimate overrides render exactly as before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2.sandbox import SandboxedEnvironment

from generator.cli import cli
from generator.pages.render import environment, render_pages
from generator.reading import read_workspace
from generator.report.report import build_report
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_build import copy_demo, temporary_leftovers, tree

MARKER = "sandbox-escaped"

# (what a template appends, the attribute the sandbox names). Each would, in a
# plain environment, read Python's internals or change caseload's own data; those
# that can reach `os` try to write the marker file.
UNSAFE = {
    "class hierarchy": ("{{ ''.__class__.__mro__ }}", "'__class__' of 'str'"),
    "globals of a function": (
        "{{ cycler.__init__.__globals__.os.system('touch " + MARKER + "') }}",
        "'__init__' of 'type'"),
    "template internals": ("{{ self._TemplateReference__context }}",
                           "'_TemplateReference__context' of 'TemplateReference'"),
    "a mutating list method": ("{{ site.payer_ids.append('x') }}", "'append' of 'list'"),
    "a mutating dict method": ("{% set d = {} %}{{ d.update(a=1) }}", "'update' of 'dict'"),
    "format string": ("{{ '{0.__class__}'.format(site) }}", "'__class__' of 'Site'"),
    "lipsum globals": (
        "{{ lipsum.__globals__['os'].popen('touch " + MARKER + "').read() }}",
        "'__globals__' of 'function'"),
}


def build(workspace: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF])
    return result.exit_code, result.stderr


def append(path: Path, text: str) -> int:
    """Append `text` as the template's last line; the number of that line."""
    source = path.read_text(encoding="utf-8")
    path.write_text(source + text + "\n", encoding="utf-8")
    return source.count("\n") + 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = copy_demo(tmp_path_factory.mktemp("ws"))
    code, err = build(workspace)
    assert code == 0, err
    return workspace


@pytest.mark.parametrize("template", ["rules.md.j2", "client.md.j2", "_client_row.j2"])
@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_an_unsafe_access_fails_the_build_and_keeps_the_site(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str,
        name: str) -> None:
    workspace = copy_demo(tmp_path / "ws")
    shutil.copytree(built / "site", workspace / "site", symlinks=True)  # a good old site
    before = tree(workspace / "site")
    markup, attribute = UNSAFE[name]
    line = append(workspace / "templates" / template, markup)
    monkeypatch.chdir(workspace)  # where a relative `touch` would write the marker
    code, err = build(workspace)
    assert code == 2
    assert err.splitlines() == [
        f"templates/{template}:{line}: template error: access to attribute {attribute} "
        "object is unsafe."], err
    assert not (workspace / MARKER).exists()
    assert tree(workspace / "site") == before
    assert temporary_leftovers(workspace) == []


def test_the_workspace_templates_get_the_sandbox_and_ours_alone_do_not(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    assert isinstance(environment(workspace), SandboxedEnvironment)
    assert not isinstance(environment(None), SandboxedEnvironment)
    # The repository is a workspace whose templates/ is the package's own.
    assert not isinstance(environment(ROOT), SandboxedEnvironment)
    (workspace / "templates").rename(workspace / "elsewhere")
    assert not isinstance(environment(workspace), SandboxedEnvironment)


def test_the_built_in_templates_render_byte_for_byte_in_the_sandbox(tmp_path: Path) -> None:
    # copy_demo copies every built-in template into the workspace: the sandbox
    # renders each the same as the plain environment does, client pages too.
    workspace = copy_demo(tmp_path / "ws")
    report = build_report(read_workspace(workspace), date.fromisoformat(DEMO_AS_OF))
    sandboxed = {p.path: p.content for p in render_pages(report, workspace)}
    plain = {p.path: p.content for p in render_pages(report, None)}
    assert len(plain) > 50 and sandboxed == plain


def test_a_legitimate_override_still_works(tmp_path: Path) -> None:
    # Loops, a namespace, a macro, filters, an included built-in part, our helpers.
    workspace = copy_demo(tmp_path / "ws")
    (workspace / "templates" / "rules.md.j2").write_text("""\
---
title: House rules
---
{% macro count(items) %}{{ items | length }}{% endmacro %}
{% set ns = namespace(attended=0) %}
{% for e in site.evaluations %}{% set ns.attended = ns.attended + 1 %}{% endfor %}
# House rules for {{ count(site.evaluations) }} clients ({{ ns.attended }} counted)

{{ status_badge("active") }} {{ "a" ~ "b" | upper }} {{ site.payer_ids | join(", ") }}
{% include "_scope_note.j2" %}
""", encoding="utf-8")
    code, err = build(workspace)
    assert code == 0, err
    page = (workspace / "site" / "rules.html").read_text(encoding="utf-8")
    assert "House rules for 45 clients (45 counted)" in page
    assert "Active</span> aB cascade&#45;medicaid&#44; northwind" in page


def test_a_runtime_error_names_the_template_and_line(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    line = append(workspace / "templates" / "roster.md.j2", "{{ no_such_name }}")
    code, err = build(workspace)
    assert code == 2
    assert err.splitlines() == [
        f"templates/roster.md.j2:{line}: template error: 'no_such_name' is undefined"]


def test_a_syntax_error_names_the_template_as_the_workspace_has_it(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "ws")
    (workspace / "templates" / "payers.md.j2").write_text("ok\n{% if %}\n", encoding="utf-8")
    code, err = build(workspace)
    assert code == 2
    assert err.splitlines()[0].startswith("templates/payers.md.j2:2: template error: ")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("name", ["rules.md.j2", "caseload.css"])
def test_a_fifo_among_the_templates_is_refused_without_hanging(tmp_path: Path,
                                                               name: str) -> None:
    workspace = copy_demo(tmp_path / "ws")
    (workspace / "templates" / name).unlink()
    os.mkfifo(workspace / "templates" / name)
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", str(workspace), "--as-of", DEMO_AS_OF],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"templates/{name}:1: file: is a FIFO (named pipe), not a regular file"]
    assert not (workspace / "site").exists()


def test_what_the_sandbox_leaves_to_escaping_and_the_reference_scan(tmp_path: Path) -> None:
    # The sandbox guards Python, not the page: a template may still emit markup
    # with |safe (README, SECURITY.md), and a reference off the machine is then
    # caught by the scan of the built site.
    workspace = copy_demo(tmp_path / "ws")
    append(workspace / "templates" / "rules.md.j2",
           "{{ '<script src=\"https://evil.example/x.js\"></script>' | safe }}")
    code, err = build(workspace)
    assert code == 2
    assert err.startswith("site build failed: rules.html refers outside the site, to "
                          "evil.example")


@pytest.mark.parametrize(("template", "markup", "raised"), [
    ("rules.md.j2", "{{ site.payer_ids + 1 }}", "TypeError"),
    ("client.md.j2", "{{ e.client.name + 1 }}", "TypeError"),
    ("client.md.j2", "{{ e.client.name.index('no such text') }}", "ValueError"),
    ("_client_row.j2", "{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_a_python_error_in_a_workspace_template_is_its_line_not_an_internal_error(
        built: Path, tmp_path: Path, template: str, markup: str, raised: str) -> None:
    """Not a Jinja error but the template's all the same: one line with the template
    and its line, the exception's type and nothing of its message (which may quote
    a client's name), exit 2, the old site kept."""
    workspace = copy_demo(tmp_path / "ws")
    shutil.copytree(built / "site", workspace / "site", symlinks=True)
    before = tree(workspace / "site")
    line = append(workspace / "templates" / template, markup)
    code, err = build(workspace)
    assert code == 2, err
    assert err.splitlines() == [
        f"templates/{template}:{line}: template error: the template raised {raised}"], err
    assert "Traceback" not in err and "internal error" not in err
    assert tree(workspace / "site") == before
