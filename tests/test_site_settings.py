"""mkdocs.yml is read by caseload as plain, checked data; the site engine never parses it.

MkDocs' own loader constructs Python objects from YAML tags and imports `hooks`;
these tests pin that no tag, hook, plugin, file-reading extension or remote
asset gets through, that every problem is reported as `mkdocs.yml:LINE: ...`
(exit 2, nothing written), and that a plain file means exactly what MkDocs
would have read from it.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.model.site import SiteSettings
from generator.reading import sitesettings
from generator.reading.exact import WorkspaceInvalid
from generator.reading.sitesettings import (
    builtin_settings_file,
    read_settings_file,
    read_site_settings,
)
from tests.clirun import run
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_build import copy_demo, site_tree, temporary_leftovers, tree

EXAMPLES = int(os.environ.get("CASELOAD_FUZZ_EXAMPLES", "60"))
ERROR = re.compile(r"^mkdocs\.yml:\d+: ")
BASE = "theme:\n  name: material\n"


def settings_of(tmp_path: Path, text: str) -> SiteSettings:
    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    return read_site_settings(tmp_path)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(WorkspaceInvalid) as info:
        settings_of(tmp_path, text)
    lines = [str(e) for e in info.value.errors]
    assert lines and all(ERROR.match(line) for line in lines), lines
    return lines


def one_error(tmp_path: Path, text: str) -> str:
    lines = errors_of(tmp_path, text)
    assert len(lines) == 1, lines
    return lines[0]


def is_plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_plain(v) for v in value)
    return value is None or isinstance(value, str | int | bool)


# --- what a plain file means ------------------------------------------------------------


def what_mkdocs_would_read(path: Path) -> dict[str, Any]:
    """The file as a safe YAML loader reads it, less what caseload overrides."""
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    values.pop("site_name", None)
    values["theme"].pop("font", None)
    return values


@pytest.mark.parametrize("path", [ROOT / "mkdocs.yml", builtin_settings_file()],
                         ids=["demo", "init-example"])
def test_shipped_settings_mean_what_they_say(path: Path) -> None:
    read = read_settings_file(path)
    assert read.path == str(path.absolute())
    assert read.values == what_mkdocs_would_read(path)
    assert is_plain(read.values)


def test_a_workspace_without_mkdocs_yml_gets_the_built_in_one(tmp_path: Path) -> None:
    read = read_site_settings(tmp_path)
    assert read.path == str(builtin_settings_file().absolute())
    assert read.values == read_settings_file(builtin_settings_file()).values


RICH = """\
site_name: Ignored
site_description: The practice's audit site
site_author: Riverbend
copyright: "Copyright 2026 Riverbend"
theme:
  name: material
  language: de
  direction: ltr
  features: [navigation.top, content.code.copy]
  palette:
    scheme: slate
    primary: deep purple
    accent: light blue
  icon:
    logo: material/library
    admonition: {note: octicons/tag-16}
  logo: assets/logo.png
  favicon: assets/favicon.png
plugins:
  - search:
      lang: [en, de]
      separator: '[\\s\\-]+'
      pipeline: [stemmer, trimmer]
markdown_extensions:
  - abbr
  - admonition
  - attr_list
  - def_list
  - footnotes
  - md_in_html
  - sane_lists
  - smarty
  - meta
  - tables
  - toc:
      permalink: "#"
      toc_depth: 2-4
      title: Contents
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.highlight: {linenums: true, pygments_style: monokai, guess_lang: false}
  - pymdownx.inlinehilite
  - pymdownx.tasklist: {custom_checkbox: true}
  - pymdownx.tilde
  - pymdownx.caret
  - pymdownx.mark
  - pymdownx.keys
  - pymdownx.betterem: {smart_enable: all}
  - pymdownx.tabbed: {alternate_style: true}
  - pymdownx.smartsymbols
extra_css: [assets/caseload.css, ./extra/print.css]
extra_javascript:
  - assets/x.js
  - {path: assets/y.mjs, type: module, defer: true}
extra:
  homepage: index.html
  generator: false
"""


def test_a_rich_plain_file_is_read_as_mkdocs_would(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(RICH, encoding="utf-8")
    expected = what_mkdocs_would_read(tmp_path / "mkdocs.yml")
    expected["site_description"] = "The practice&#39;s audit site"
    assert read_site_settings(tmp_path).values == expected


def test_the_engine_accepts_what_was_read(tmp_path: Path) -> None:
    from generator.site.engine import _load_config

    (tmp_path / "docs").mkdir()
    config = _load_config(settings_of(tmp_path, RICH),
                          {"docs_dir": str(tmp_path / "docs"), "site_name": "x", "nav": []})
    assert config.theme["language"] == "de"
    assert config.mdx_configs["toc"]["toc_depth"] == "2-4"
    assert config.config_file_path == str(tmp_path / "mkdocs.yml")


# --- tags, anchors, duplicates ----------------------------------------------------------


def test_prose_settings_may_run_over_several_lines(tmp_path: Path) -> None:
    """A folded description or a two-line copyright is how many files spell them."""
    read = settings_of(tmp_path, BASE + "site_description: >\n  A long\n  description\n"
                       "copyright: |\n  Line one\n  Line two\n")
    assert read.values["site_description"] == "A long description\n"
    assert read.values["copyright"] == "Line one\nLine two\n"


def test_one_line_settings_refuse_a_line_break(tmp_path: Path) -> None:
    line = one_error(tmp_path, BASE + "site_author: |\n  one\n  two\n")
    assert line.startswith("mkdocs.yml:3: site_author: must be one line"), line


def test_no_setting_may_hold_a_control_character(tmp_path: Path) -> None:
    line = one_error(tmp_path, BASE + 'copyright: "Evil\\e]0;pwned\\a"\n')
    assert line.startswith("mkdocs.yml:3: copyright:") and "U+001B" in line, line


@pytest.mark.parametrize("text", [
    'extra:\n  x: !!python/object/apply:os.system ["touch MARKER"]\n',
    "copyright: !!python/name:os.system\n",
    "copyright: !!python/object/new:str [x]\n",
    "site_author: !ENV [HOME, nobody]\n",
    "site_author: !ENV HOME\n",
    "extra_css: [!relative $config_dir/x.css]\n",
    "copyright: !!str plain\n",
    "copyright: !!binary aGVsbG8=\n",
    "copyright: !custom x\n",
    "copyright: ! x\n",
    "!!str copyright: x\n",
    "extra_css: !!seq [assets/x.css]\n",
    "%TAG !py! tag:yaml.org,2002:python/\n---\ntheme: material\ncopyright: !py!name:os.system\n",
    "markdown_extensions:\n  - toc:\n      slugify: !!python/name:pymdownx.slugs.uslugify\n",
])
def test_tags_of_every_kind_are_refused(tmp_path: Path, text: str) -> None:
    lines = errors_of(tmp_path, text if text.startswith("%") else BASE + text)
    assert any("tags are not allowed" in line for line in lines), lines


def test_a_tag_is_reported_where_it_is(tmp_path: Path) -> None:
    lines = errors_of(tmp_path, BASE + "extra:\n  generator: false\n  x: !ENV [A]\n")
    assert lines[0] == ("mkdocs.yml:5: extra.x: tags are not allowed (found '!ENV'): "
                        "mkdocs.yml holds plain settings only")


def test_a_tagged_document_is_refused(tmp_path: Path) -> None:
    line = errors_of(tmp_path, "!!python/object/apply:os.system [x]\n")[0]
    assert line.startswith("mkdocs.yml:1: document: tags are not allowed")


def test_anchors_and_aliases_are_refused(tmp_path: Path) -> None:
    lines = errors_of(tmp_path, BASE + "extra_css: &css [a.css]\nextra:\n  x: *css\n")
    assert lines[0] == ("mkdocs.yml:3: extra_css: anchors and aliases are not allowed "
                        "(found '&css'): write the value out")


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True))
    started = time.perf_counter()
    lines = errors_of(tmp_path, BASE + "site_url:\n" + "".join(f"  {line}" for line in
                                                              bomb.splitlines(True)))
    assert time.perf_counter() - started < 5
    assert any("anchors and aliases" in line for line in lines)


@pytest.mark.parametrize("text, where", [
    ("copyright: a\ncopyright: b\n", "copyright"),
    ("theme:\n  name: material\n  name: material\n", "theme.name"),
    ("extra:\n  social:\n    - {icon: x, icon: y}\n", "extra.social[0].icon"),
    ("markdown_extensions:\n  - toc: {permalink: true, permalink: false}\n",
     "markdown_extensions[0].toc.permalink"),
    ("site_url: x\nsite_url: y\n", "site_url"),
])
def test_duplicate_keys_are_errors(tmp_path: Path, text: str, where: str) -> None:
    lines = errors_of(tmp_path, text if text.startswith("theme") else BASE + text)
    assert any(f": {where}: duplicate key (first given on line " in line for line in lines)


def test_an_extension_listed_twice_is_an_error(tmp_path: Path) -> None:
    line = one_error(tmp_path, BASE + "markdown_extensions:\n  - toc\n  - tables\n"
                     "  - markdown.extensions.toc\n")
    assert line == ("mkdocs.yml:6: markdown_extensions[2]: Markdown extension 'toc' is "
                    "listed twice (first on line 4)")


# --- keys: accepted, overridden, refused ------------------------------------------------


OVERRIDDEN = """\
site_name: Whatever
site_url: https://example.org/
repo_url: https://github.com/a/b
repo_name: a/b
edit_uri: edit/main/docs/
edit_uri_template: "blob/main/docs/{path}"
nav: [{Home: index.md}]
docs_dir: /etc
site_dir: /tmp/elsewhere
use_directory_urls: true
strict: false
theme:
  name: material
  font: {text: Roboto, code: Roboto Mono}
extra:
  analytics: {provider: google, property: G-XXXX}
  consent: {title: Cookies}
  social: [{icon: fontawesome/brands/mastodon, link: "https://example.org"}]
  alternate: [{name: English, link: /en/}]
  version: {provider: mike}
  polyfills: ["https://unpkg.com/x.js"]
"""


def test_settings_caseload_makes_itself_are_accepted_and_left_out(tmp_path: Path) -> None:
    assert settings_of(tmp_path, OVERRIDDEN).values == {"theme": {"name": "material"},
                                                        "extra": {}}


@pytest.mark.parametrize("text, where, what", [
    ("hooks: [hook.py]\n", "hooks", "not allowed: hooks are Python files"),
    ("INHERIT: base.yml\n", "INHERIT", "not allowed: settings come from this file alone"),
    ("watch: [x]\n", "watch", "not allowed"),
    ("validation: {links: {not_found: ignore}}\n", "validation", "not allowed"),
    ("google_analytics: [UA-1, x]\n", "google_analytics", "not allowed"),
    ("plugins: [search, offline]\n", "plugins[1].offline", "unknown plugin 'offline'"),
    ("plugins: [material/privacy]\n", "plugins[0].material/privacy", "unknown plugin"),
    ("plugins: [mkdocstrings]\n", "plugins[0].mkdocstrings", "unknown plugin"),
    ("plugins: [{search: {jieba_dict: /etc/passwd}}]\n", "plugins[0].search.jieba_dict",
     "not allowed: it reads a file"),
    ("markdown_extensions:\n  - pymdownx.snippets: {base_path: /, auto_append: [/etc/passwd]}\n",
     "markdown_extensions[0].pymdownx.snippets", "'pymdownx.snippets' is not allowed"),
    ("markdown_extensions: [pymdownx.snippets]\n", "markdown_extensions[0].pymdownx.snippets",
     "is not allowed: it copies other files"),
    ("markdown_extensions: [pymdownx.b64]\n", "markdown_extensions[0].pymdownx.b64",
     "not allowed"),
    ("markdown_extensions:\n  - pymdownx.emoji: {emoji_index: material.extensions.emoji.twemoji}"
     "\n", "markdown_extensions[0].pymdownx.emoji", "not allowed"),
    ("markdown_extensions:\n  - pymdownx.superfences:\n      custom_fences: [{name: mermaid, "
     "class: mermaid, format: pymdownx.superfences.fence_code_format}]\n",
     "markdown_extensions[0].pymdownx.superfences.custom_fences",
     "not allowed: it names Python code to run"),
    ("markdown_extensions:\n  - toc: {slugify: pymdownx.slugs.uslugify}\n",
     "markdown_extensions[0].toc.slugify", "not allowed: it names Python code to run"),
    ("markdown_extensions:\n  - pymdownx.tabbed: {slugify: x}\n",
     "markdown_extensions[0].pymdownx.tabbed.slugify", "not allowed"),
    ("markdown_extensions:\n  - pymdownx.inlinehilite: {custom_inline: [x]}\n",
     "markdown_extensions[0].pymdownx.inlinehilite.custom_inline", "not allowed"),
    ("markdown_extensions:\n  - smarty: {substitutions: {ndash: '<script>'}}\n",
     "markdown_extensions[0].smarty.substitutions", "not allowed"),
    ("markdown_extensions:\n  - admonition: {x: 1}\n", "markdown_extensions[0].admonition.x",
     "'admonition' takes no options"),
    ("markdown_extensions:\n  - my_module.evil\n", "markdown_extensions[0].my_module.evil",
     "unknown Markdown extension"),
])
def test_refused_keys_name_the_key(tmp_path: Path, text: str, where: str, what: str) -> None:
    line = one_error(tmp_path, BASE + text)
    assert f": {where}: " in line and what in line, line


def test_custom_dir_is_refused(tmp_path: Path) -> None:
    line = one_error(tmp_path, "theme:\n  name: material\n  custom_dir: overrides\n")
    assert line.startswith("mkdocs.yml:3: theme.custom_dir: not allowed:")


@pytest.mark.parametrize("text, where, hint", [
    ("sitename: x\n", "sitename", "site_name"),
    ("copyrihgt: x\n", "copyrihgt", "copyright"),
    ("markdown_extension: [toc]\n", "markdown_extension", "markdown_extensions"),
    ("extra_js: [x.js]\n", "extra_js", None),
    ("theme:\n  name: material\n  pallete: {primary: teal}\n", "theme.pallete", "palette"),
    ("extra:\n  hompage: index.html\n", "extra.hompage", "homepage"),
    ("markdown_extensions:\n  - toc: {permalnk: true}\n", "markdown_extensions[0].toc.permalnk",
     "permalink"),
    ("markdown_extensions: [pymdownx.superfence]\n",
     "markdown_extensions[0].pymdownx.superfence", "pymdownx.superfences"),
    ("plugins: [serach]\n", "plugins[0].serach", "search"),
    ("theme:\n  name: material\n  language: eng\n", "theme.language", "en"),
])
def test_unknown_keys_are_errors_with_a_suggestion(tmp_path: Path, text: str, where: str,
                                                    hint: str | None) -> None:
    line = one_error(tmp_path, text if text.startswith("theme") else BASE + text)
    assert f": {where}: " in line, line
    if hint:
        assert f"did you mean '{hint}'?" in line, line


def test_the_theme_must_be_material(tmp_path: Path) -> None:
    assert one_error(tmp_path, "theme: readthedocs\n") == (
        "mkdocs.yml:1: theme: the theme must be 'material', not 'readthedocs'")
    assert one_error(tmp_path, "copyright: x\n") == (
        "mkdocs.yml:1: document: missing required key 'theme'")
    assert settings_of(tmp_path, "theme: material\n").values == {"theme": {"name": "material"}}


# --- local files only -------------------------------------------------------------------

REMOTE = [
    "https://cdn.example/x.js", "http://cdn.example/x.js", "https:evil.example/x.js",
    "//evil.example/x.js", "///evil.example/x.js", "javascript:alert(1)", "JavaScript:alert(1)",
    "data:text/javascript,alert(1)", "file:///etc/passwd", "/etc/passwd", "\\\\evil\\x.js",
    "../outside.js", "assets/../../outside.js", "..", "java\tscript:alert(1)",
    " https://x.example/a.js", "%2e%2e/x.js", 'x.js"><script>', "C:x.js", "",
]
PLACES = {
    "extra_css": "extra_css: ['{}']\n",
    "extra_javascript": "extra_javascript: ['{}']\n",
    "extra_javascript.path": "extra_javascript: [{{path: '{}'}}]\n",
    "theme.logo": "theme:\n  name: material\n  logo: '{}'\n",
    "theme.favicon": "theme:\n  name: material\n  favicon: '{}'\n",
    "extra.homepage": "extra:\n  homepage: '{}'\n",
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("url", REMOTE)
def test_only_files_of_the_site_itself(tmp_path: Path, place: str, url: str) -> None:
    text = PLACES[place].format(url.replace("'", "''"))
    line = one_error(tmp_path, text if text.startswith("theme") else BASE + text)
    assert place.split(".")[0] in line


@pytest.mark.parametrize("url", ["assets/x.css", "./x.css", "a/../b.css", "x", "a/b/c~d+e@f.css"])
def test_relative_paths_inside_the_site_are_fine(tmp_path: Path, url: str) -> None:
    assert settings_of(tmp_path, BASE + f"extra_css: ['{url}']\n").values["extra_css"] == [url]


# --- errors -----------------------------------------------------------------------------


def test_every_error_is_reported_together_in_line_order(tmp_path: Path) -> None:
    lines = errors_of(tmp_path, (
        "copyright: !ENV X\n"
        "hooks: [x.py]\n"
        "theme:\n  name: material\n  custom_dir: x\n"
        "plugins: [search, tags]\n"
        "extra_css: [https://x.example/a.css]\n"
        "extra:\n  homepage: 'javascript:alert(1)'\n"
        "sitename: x\n"))
    assert [int(line.split(":")[1]) for line in lines] == [1, 2, 5, 6, 7, 9, 10]


def test_yaml_errors_and_odd_documents(tmp_path: Path) -> None:
    assert one_error(tmp_path, "theme: [unclosed\n").startswith("mkdocs.yml:2: YAML: ")
    assert one_error(tmp_path, "") == ("mkdocs.yml:1: document: the file is empty; it needs at "
                                       "least 'theme: {name: material}'")
    assert one_error(tmp_path, "- a\n").startswith("mkdocs.yml:1: document: expected a mapping")
    assert one_error(tmp_path, "a: 1\n---\nb: 2\n").startswith("mkdocs.yml:")
    assert "control character" in one_error(tmp_path, BASE + "copyright: a\x07b\n")


def test_long_text_is_never_quoted_back(tmp_path: Path) -> None:
    secret = "Jordan Avery, intake notes " * 40
    for text in (f"{secret}: 1\n", f"copyright: [{secret}]\n", f"extra_css: ['{secret}']\n",
                 f"theme:\n  name: '{secret}'\n"):
        for line in errors_of(tmp_path, text if text.startswith("theme") else BASE + text):
            assert len(line) < 250 and secret not in line, line


def test_a_link_outside_the_workspace_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(BASE, encoding="utf-8")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "mkdocs.yml").symlink_to(outside)
    with pytest.raises(WorkspaceInvalid) as info:
        read_site_settings(tmp_path / "ws")
    assert str(info.value) == ("mkdocs.yml:1: file: is a link to a place outside the "
                               "workspace; not read")


@pytest.mark.parametrize("field", ["copyright", "site_description", "site_author"])
def test_text_the_theme_prints_is_escaped(tmp_path: Path, field: str) -> None:
    values = settings_of(tmp_path, BASE + f"{field}: '<b>a</b> & \"b\"'\n").values
    assert values[field] == "&lt;b&gt;a&lt;/b&gt; &amp; &#34;b&#34;"


def test_palette_toggle_names_are_escaped(tmp_path: Path) -> None:
    values = settings_of(tmp_path, BASE + "  palette:\n    - toggle:\n        icon: "
                         "material/weather-night\n        name: '\"><script>x</script>'\n").values
    assert values["theme"]["palette"][0]["toggle"]["name"] == \
        "&#34;&gt;&lt;script&gt;x&lt;/script&gt;"


@pytest.mark.parametrize("text", [
    "  palette: {primary: 'teal\" onmouseover=\"x'}\n",
    "  palette: {media: '\"><script>'}\n",
    "  palette: [{toggle: {icon: ../../../../etc/passwd, name: x}}]\n",
    "  icon: {logo: material/no-such-icon}\n",
    "  direction: 'ltr\" x=\"'\n",
    "  features: ['navigation.top\"']\n",
])
def test_theme_values_printed_into_html_are_checked(tmp_path: Path, text: str) -> None:
    assert one_error(tmp_path, BASE + text).startswith("mkdocs.yml:3: theme.")


# --- through the command line -----------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "ws")


# The first line after the demo's mkdocs.yml, which ends inside its `extra:` mapping.
APPENDED = len((ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()) + 1


def hostile(workspace: Path, marker: Path) -> None:
    """A mkdocs.yml that would write `marker` if MkDocs read it, and a hook that would too."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text += f'  x: !!python/object/apply:os.system ["touch {marker}"]\nhooks: [hook.py]\n'
    (workspace / "mkdocs.yml").write_text(text, encoding="utf-8")
    (workspace / "hook.py").write_text(f"open({str(marker)!r}, 'w').close()\n",
                                       encoding="utf-8")


@pytest.mark.parametrize("command", ["build", "snapshot", "serve"])
def test_a_hostile_mkdocs_yml_never_runs(workspace: Path, tmp_path: Path, command: str) -> None:
    marker = tmp_path / "ran"
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 0, err
    before = tree(workspace / "site")
    hostile(workspace, marker)
    extra = ["--no-commit"] if command == "snapshot" else ["--port", "0"] \
        if command == "serve" else []
    code, out, err = run(command, str(workspace), "--as-of", DEMO_AS_OF, *extra)
    assert code == 2
    assert not marker.exists()
    lines = err.splitlines()
    assert lines[:-1] == [
        f"mkdocs.yml:{APPENDED}: extra.x: tags are not allowed"
        " (found '!!python/object/apply:os.system'):"
        " mkdocs.yml holds plain settings only",
        f"mkdocs.yml:{APPENDED}: extra.x: unknown key 'x'",
        f"mkdocs.yml:{APPENDED + 1}: hooks: not allowed: hooks are Python files the site engine"
        " would run",
    ]
    assert lines[-1] == "caseload: 3 input errors; nothing was written."
    assert "Traceback" not in out + err
    assert tree(workspace / "site") == before
    assert not (workspace / "snapshots").exists()
    assert temporary_leftovers(workspace) == []


def test_settings_and_caseload_errors_are_reported_together(workspace: Path) -> None:
    (workspace / "mkdocs.yml").write_text(BASE + "hooks: [x.py]\n", encoding="utf-8")
    client = next((workspace / "content").rglob("*.yaml"))
    client.write_text(client.read_text(encoding="utf-8").replace("attended", "atended", 1),
                      encoding="utf-8")
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 2
    assert "unknown status 'atended'" in err
    assert "mkdocs.yml:3: hooks: not allowed" in err
    assert err.splitlines()[-1] == "caseload: 2 input errors; nothing was written."


def test_check_never_reads_mkdocs_yml(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["check", str(workspace), "--as-of", DEMO_AS_OF, "--format", "json"]
    expected = run(*args)
    (workspace / "mkdocs.yml").write_text("theme: [broken\nhooks: !!python/name:os.system\n",
                                          encoding="utf-8")
    assert run(*args) == expected

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("check read mkdocs.yml")

    monkeypatch.setattr(sitesettings, "read_settings_file", refuse)
    assert run(*args) == expected


def test_the_engine_never_parses_a_settings_file(workspace: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.config import base, defaults

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("MkDocs read a settings file")

    monkeypatch.setattr(defaults.MkDocsConfig, "load_file", refuse)
    monkeypatch.setattr(base.Config, "load_file", refuse)
    monkeypatch.setattr(base, "load_config", refuse)
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 0, err


def test_serve_refuses_a_hostile_mkdocs_yml_and_keeps_serving(tmp_path: Path) -> None:
    from tests.test_serve import Served, fetch, wait_for

    workspace = tmp_path / "ws"
    assert run("init", str(workspace))[0] == 0
    server = Served(str(workspace), "--port", "0", "--as-of", DEMO_AS_OF)
    try:
        url = server.url()
        before = fetch(url + "index.html")
        marker = tmp_path / "ran"
        hostile(workspace, marker)
        assert wait_for(lambda: any("Rebuild failed" in line for line in server.err)), \
            "".join(server.err)
        refused = f"mkdocs.yml:{APPENDED + 1}: hooks: not allowed"
        assert any(line.startswith(refused) for line in server.err)
        assert fetch(url + "index.html") == before
        assert not marker.exists()
    finally:
        assert server.stop() == 0
    assert "Traceback" not in "".join(server.err)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "meta" and values.get("name"):
            self.meta[values["name"] or ""] = values.get("content") or ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_raw_html_in_settings_shows_as_typed_in_the_site(workspace: Path) -> None:
    evil = {
        "copyright": '<script id="evil-copyright">alert(1)</script> & <b>co</b>',
        "site_description": '"><script id="evil-description">alert(2)</script>',
        "site_author": "<img src=x onerror=alert(3) id=evil-author>",
    }
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("copyright: Confidential. Contains client information. Do not share.\n",
                        "".join(f"{key}: '{value}'\n" for key, value in evil.items()))
    (workspace / "mkdocs.yml").write_text(text, encoding="utf-8")
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 0, err
    for page in ("index.html", "roster.html", "clients/C-1001.html"):
        html = (workspace / "site" / page).read_text(encoding="utf-8")
        assert "<script id=\"evil" not in html and "<img src=x" not in html and "<b>co" not in html
        parsed = _Text()
        parsed.feed(html)
        assert evil["copyright"] in " ".join("".join(parsed.text).split())
        assert parsed.meta["description"] == evil["site_description"]
        assert parsed.meta["author"] == evil["site_author"]


def test_a_javascript_homepage_is_refused(workspace: Path) -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8") + "  homepage: javascript:alert(1)\n"
    (workspace / "mkdocs.yml").write_text(text, encoding="utf-8")
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 2
    assert err.startswith(
        f"mkdocs.yml:{APPENDED}: extra.homepage: 'javascript:alert(1)' is not allowed")
    assert not (workspace / "site").exists()


def test_a_relative_homepage_is_used(workspace: Path) -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8") + "  homepage: roster.html\n"
    (workspace / "mkdocs.yml").write_text(text, encoding="utf-8")
    code, _, err = run("build", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 0, err
    html = (workspace / "site" / "clients" / "C-1001.html").read_text(encoding="utf-8")
    assert 'href="../roster.html" title=' in html


def test_without_mkdocs_yml_the_site_is_the_same_as_with_the_example(workspace: Path,
                                                                      tmp_path: Path) -> None:
    shutil.copy(builtin_settings_file(), workspace / "mkdocs.yml")
    assert run("build", str(workspace), "--as-of", DEMO_AS_OF)[0] == 0
    other = copy_demo(tmp_path / "other")
    (other / "mkdocs.yml").unlink()
    assert run("build", str(other), "--as-of", DEMO_AS_OF)[0] == 0
    assert site_tree(workspace / "site") == site_tree(other / "site")


# --- fuzzing ----------------------------------------------------------------------------

KEYS = st.sampled_from([
    "site_name", "site_url", "copyright", "site_description", "theme", "name", "language",
    "palette", "features", "logo", "favicon", "icon", "custom_dir", "font", "plugins", "search",
    "lang", "markdown_extensions", "toc", "permalink", "toc_depth", "pymdownx.snippets",
    "pymdownx.highlight", "extra_css", "extra_javascript", "path", "extra", "homepage",
    "generator", "analytics", "hooks", "INHERIT", "nav", "x", "", "<<",
])
SCALARS = st.one_of(
    st.sampled_from(["material", "true", "false", "~", "null", "1", "-1", "2-4", "en",
                     "assets/x.css", "https://x.example/a.js", "javascript:alert(1)", "'x'",
                     '"a\\tb"', "search", "toc", "tables", "'<b>x</b>'", "0x10", "1e3", "",
                     "'touch MARKER'", '["touch MARKER"]']),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=12)
    .map(lambda t: "'" + t.replace("'", "''") + "'"),
)
TAGS = st.sampled_from(["", "", "", "", "!!str ", "!!python/object/apply:os.system ",
                        "!ENV ", "!relative ", "!x ", "&a ", "*a", "!!map "])


def _flow(draw: st.DrawFn, depth: int) -> str:
    kind = draw(st.integers(0, 2 if depth < 3 else 0))
    tag = draw(TAGS)
    if tag == "*a":
        return tag
    if kind == 0:
        return tag + draw(SCALARS)
    if kind == 1:
        items = [_flow(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]
        return f"{tag}[{', '.join(items)}]"
    pairs = [f"{draw(KEYS) or 'k'}: {_flow(draw, depth + 1)}"
             for _ in range(draw(st.integers(0, 3)))]
    return f"{tag}{{{', '.join(pairs)}}}"


@st.composite
def mkdocs_texts(draw: st.DrawFn) -> str:
    lines = [f"{draw(KEYS) or 'k'}: {_flow(draw, 0)}" for _ in range(draw(st.integers(0, 6)))]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "theme: material")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # now and then, raw damage
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    return text


EXTENSION_NAMES = st.sampled_from([*sorted(sitesettings.EXTENSIONS), "pymdownx.snippets", "x"])
OPTION_VALUES = st.one_of(SCALARS, st.sampled_from(["monokai", "block", "2", "all", "view"]))


@st.composite
def extension_items(draw: st.DrawFn) -> str:
    name = draw(EXTENSION_NAMES)
    options = sorted(sitesettings.EXTENSIONS.get(name, {}))
    if not options or draw(st.booleans()):
        return name
    chosen = draw(st.lists(st.sampled_from(options), min_size=1, max_size=3, unique=True))
    return f"{{{name}: {{{', '.join(f'{o}: {draw(OPTION_VALUES)}' for o in chosen)}}}}}"


PLAUSIBLE = {
    "copyright": SCALARS,
    "site_description": SCALARS,
    "markdown_extensions": st.lists(extension_items(), max_size=5).map(
        lambda items: f"[{', '.join(items)}]"),
    "plugins": st.sampled_from(["[search]", "[material/search]", "[{search: {lang: en}}]",
                                "[{search: {lang: [en, de, xx]}}]", "[search, search]",
                                "[{search: {pipeline: [trimmer]}}]", "[]", "[offline]"]),
    "extra_css": st.lists(SCALARS, max_size=2).map(lambda items: f"[{', '.join(items)}]"),
    "extra_javascript": st.sampled_from(["[a.js]", "[{path: a.mjs, type: module}]",
                                         "[{path: a.js, async: true, defer: false}]"]),
    "extra": st.sampled_from(["{generator: false}", "{homepage: index.html}",
                              "{social: [{icon: x}]}", "{}"]),
}
THEMES = st.sampled_from([
    "material", "{name: material, language: de}", "{name: material, features: [toc.follow]}",
    "{name: material, palette: {primary: deep purple, accent: teal, scheme: slate}}",
    "{name: material, palette: [{media: '(prefers-color-scheme)', toggle: "
    "{icon: material/brightness-auto, name: Auto}}]}",
    "{name: material, icon: {logo: material/library}, logo: assets/logo.png}",
    "{name: material, direction: rtl, font: {text: Roboto}}",
])


@st.composite
def plausible_texts(draw: st.DrawFn) -> str:
    """Documents close to valid, so that the engine's side is fuzzed too."""
    keys = draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), max_size=4, unique=True))
    lines = [f"theme: {draw(THEMES)}", *(f"{key}: {draw(PLAUSIBLE[key])}" for key in keys)]
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES * 3, deadline=None,
          derandomize=not os.environ.get("CASELOAD_FUZZ_RANDOM"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.one_of(mkdocs_texts(), plausible_texts()))
def test_fuzzed_mkdocs_yml_validates_or_exits_2(tmp_path_factory: pytest.TempPathFactory,
                                                text: str) -> None:
    from generator.site import build as site_build
    from generator.site.engine import _load_config

    ws = tmp_path_factory.mktemp("fuzz")
    (ws / "content").mkdir()
    (ws / "docs").mkdir()
    (ws / "mkdocs.yml").write_text(text, encoding="utf-8")

    def engine_only(report: object, workspace: Path, site_dir: Path, *,
                    settings: SiteSettings, **_: object) -> None:
        assert is_plain(settings.values)
        # What was accepted, the engine accepts too.
        _load_config(settings, {"docs_dir": str(ws / "docs"), "site_name": "x", "nav": []})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(site_build, "build", engine_only)
        patch.chdir(ws)
        code, out, err = run("build", str(ws), "--as-of", DEMO_AS_OF)
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert code in (0, 2), err
    event(f"exit {code}")
    if code == 2:
        *lines, summary = err.splitlines()
        assert lines and all(ERROR.match(line) for line in lines), err
        assert re.fullmatch(r"caseload: \d+ input errors?; nothing was written\.", summary)
    assert not (ws / "MARKER").exists()
