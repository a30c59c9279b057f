"""The scanner a build runs over what it wrote: every reference off the machine,
in every form a browser would follow, and nothing that is not one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.site import references
from generator.site.references import (
    css_refs,
    external_references,
    host_of,
    html_refs,
    is_external,
    js_refs,
)


def external_in_html(text: str) -> list[str]:
    return [url for url in html_refs(text) if is_external(url)]


def test_scanner_flags_real_loads() -> None:
    assert is_external("https://example.org/x.js")
    assert is_external("//cdn.example.org/x.css")
    assert not is_external("assets/x.css")
    assert not is_external("#top")
    assert not is_external("data:image/png;base64,AAAA")
    html = (
        '<img src="https://x.example/a.png"><link href="//x.example/b.css">'
        '<img srcset="ok.png 1x, https://x.example/c.png 2x">'
        '<div style="background: url(https://x.example/d.png)"></div>'
        '<style>@import "https://x.example/e.css";</style>'
        '<script>import("https://x.example/f.js")</script>'
    )
    assert external_in_html(html) == [
        "https://x.example/a.png",
        "//x.example/b.css",
        "https://x.example/c.png",
        "https://x.example/d.png",
        "https://x.example/e.css",
        "https://x.example/f.js",
    ]
    assert js_refs('import x from "https://x.example/m.js";importScripts("//x.example/w.js")')
    assert js_refs('export {a} from "https://x.example/m.js"')


def test_scanner_ignores_strings_that_are_not_loads() -> None:
    html = ('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0"/></svg><p>https://x.example</p>'
            '<p title="see https://x.example">x</p><a href="roster.html#top">r</a>'
            '<a href="../clients/C-1.html">c</a><img src="data:image/png;base64,AAAA">')
    assert external_in_html(html) == []
    css = """a{background:url("data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'/>")}"""
    assert [r for r in css_refs(css) if is_external(r)] == []
    js = 'var a="https://x.example/licence";function imp(){return "//"}/* see https://x.example */'
    assert js_refs(js) == []


@pytest.mark.parametrize("html, host", [
    # Without slashes, a browser still goes there: https:evil.example/x.js is https://evil.example/x.js.
    ('<script src="https:evil.example/x.js"></script>', "evil.example"),
    ('<a href="//evil.example/">x</a>', "evil.example"),
    ('<img src="\\\\evil.example\\x.png">', "evil.example"),  # backslashes are slashes
    ('<img src="/\\evil.example/x.png">', "evil.example"),
    ('<img src=" \t//evil.example/x.png">', "evil.example"),
    ('<img src="/\n/evil.example/x.png">', "evil.example"),  # line breaks are dropped
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="java\tscript:alert(1)">x</a>', "javascript:"),
    ('<a href="&#106;avascript:alert(1)">x</a>', "javascript:"),
    ('<a href="https&colon;//evil.example/">x</a>', "evil.example"),
    ('<a href="mailto:someone@evil.example">x</a>', "mailto:"),
    ('<a href="file:///etc/passwd">x</a>', "file:"),
    ('<IMG SRC = "HTTPS://EVIL.EXAMPLE/X.PNG">', "evil.example"),
    ("<img src='https://user:pw@evil.example:8080/x.png'>", "evil.example"),
    ("<img src=https://evil.example/x.png>", "evil.example"),
    ('<img/src="https://evil.example/x.png">', "evil.example"),
    ('<img alt="x"src="https://evil.example/x.png">', "evil.example"),
    ('<img src\n=\n"https://evil.example/x.png">', "evil.example"),
    ('<link rel="preload" imagesrcset="a.png 1x, https://evil.example/b.png 2x">',
     "evil.example"),
    ('<a ping="a.html https://evil.example/p">x</a>', "evil.example"),
    ('<form action="https://evil.example/f"></form>', "evil.example"),
    ('<svg><image xlink:href="https://evil.example/i.png"/></svg>', "evil.example"),
    ('<svg><use href="https://evil.example/s.svg#i"/></svg>', "evil.example"),
    ('<object data="https://evil.example/o"></object>', "evil.example"),
    ('<base href="https://evil.example/">', "evil.example"),
    ('<meta http-equiv="refresh" content="0; url=https://evil.example/">', "evil.example"),
    ('<iframe srcdoc="&lt;script src=&quot;https://evil.example/x.js&quot;&gt;&lt;/script&gt;">',
     "evil.example"),
    ('<div style="background:url(//evil.example/x.png)"></div>', "evil.example"),
    ('<div style="background:u\\rl(https://evil.example/x.png)"></div>', "evil.example"),
    ('<style>a{background:url(\\68ttps://evil.example/x.png)}</style>', "evil.example"),
    ('<style>@import/**/"https://evil.example/x.css";</style>', "evil.example"),
    ('<style>a{background:image-set("https://evil.example/x.png" 1x)}</style>', "evil.example"),
    ('<div onclick="import(\'https://evil.example/m.js\')"></div>', "evil.example"),
    ('<script>import(/* later */"\\x68ttps://evil.example/m.js")</script>', "evil.example"),
    ('<script>import"https:evil.example/m.js"</script>', "evil.example"),
    ('<script>new Worker("//evil.example/w.js")</script>', "evil.example"),
    ('<script>importScripts("a.js", "https://evil.example/w.js")</script>', "evil.example"),
], ids=lambda value: value if len(value) < 40 else None)
def test_every_form_a_browser_follows_is_found(html: str, host: str) -> None:
    found = external_in_html(html)
    assert found, html
    assert host_of(found[0]) == host


def test_css_and_js_files() -> None:
    assert [host_of(u) for u in css_refs("@font-face{src:url('//evil.example/f.woff2')}")] == [
        "evil.example"]
    assert [host_of(u) for u in js_refs('import {a} from "https:evil.example/m.js";')] == [
        "evil.example"]
    local = js_refs('import {a} from "./m.js"; import("./n.js")')
    assert sorted(local) == ["./m.js", "./n.js"]
    assert not [u for u in local if is_external(u)]


def test_the_host_is_all_an_error_message_shows() -> None:
    assert host_of("https://evil.example/Jordan%20Avery.png") == "evil.example"
    assert host_of("javascript:alert('Jordan Avery')") == "javascript:"
    assert host_of("https://who:secret@evil.example/") == "evil.example"
    assert host_of("https://evil.example\u202e/x") == "evil.example\\u202e"  # one plain line


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_a_site_is_scanned_file_by_file(tmp_path: Path) -> None:
    site = write(tmp_path / "site", {
        "index.html": '<a href="roster.html">r</a>',
        "clients/C-1.html": '<img src="//evil.example/x.png">',
        "assets/a.css": "a{background:url(https:evil.example/y.png)}",
        "assets/a.js": 'import("//evil.example/z.js")',
        "assets/a.js.map": '{"sources": ["https://evil.example/src.ts"]}',  # tools only
        "search/search_index.json": '{"docs": [{"text": "https://evil.example"}]}',  # data
    })
    found = external_references(site)
    assert [(r.path, r.host) for r in found] == [
        ("assets/a.css", "evil.example"), ("assets/a.js", "evil.example"),
        ("clients/C-1.html", "evil.example")]


def test_files_the_previous_site_had_are_not_read_again(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    previous = write(tmp_path / "old", {"a.html": "<p>same</p>", "b.html": "<p>linked</p>",
                                        "c.html": "<p>before</p>"})
    site = write(tmp_path / "new", {"a.html": "<p>same</p>",
                                    "c.html": '<img src="//evil.example/x.png">',
                                    "d.html": '<img src="//evil.example/y.png">'})
    os.link(previous / "b.html", site / "b.html")
    scanned: list[str] = []
    real = references.SCANNERS[".html"]

    def spy(text: str) -> list[str]:
        scanned.append(text)
        return real(text)

    monkeypatch.setitem(references.SCANNERS, ".html", spy)
    found = external_references(site, previous)
    assert [r.path for r in found] == ["c.html", "d.html"]
    assert scanned == ['<img src="//evil.example/x.png">', '<img src="//evil.example/y.png">']
    scanned.clear()
    assert [r.path for r in external_references(site)] == ["c.html", "d.html"]
    assert len(scanned) == 4  # without a previous site, every file


def test_the_scanner_names_itself() -> None:
    assert references.scanner_id() == references.scanner_id()
    assert len(references.scanner_id()) == 16
