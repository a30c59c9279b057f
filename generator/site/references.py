"""What in a built site would make a browser reach off this computer.

The build runs this over every file it wrote, after MkDocs and before the new
site is swapped in, and fails if anything refers elsewhere: the site must open
offline and load nothing from another host (see SECURITY.md). It looks for
*references*, not for strings:

* HTML and SVG: URL-carrying attributes (``src``, ``href``, ``srcset``,
  ``poster``, ``data``, ``action``, ``srcdoc``, ...), a meta refresh, ``style``
  attributes and ``<style>`` elements (as CSS), ``on...`` attributes and inline
  ``<script>`` elements (as JS). Character references are decoded first
  (``&#104;ttps:``, ``&colon;``). ``xmlns`` and the like are names, not loads.
* CSS: ``url(...)``, ``@import``, ``image-set()`` and ``src()``, with CSS
  escapes decoded. ``data:`` URIs are inline, even when the SVG inside one
  mentions ``http://www.w3.org/2000/svg``.
* JS: module ``import``/``export ... from``, dynamic ``import()``,
  ``importScripts()`` and ``new Worker()``/``SharedWorker()`` with a literal URL.

A URL refers off the machine when a browser would resolve it to another
place: any scheme but ``data:`` (``https:``, ``javascript:``, ``file:``, even
without slashes: ``https:evil.example/x.js`` is ``https://evil.example/x.js``
to a browser), or a scheme-relative ``//host`` (also written ``\\\\host`` or
``/\\host``, which browsers read the same), after the tabs, line breaks and
surrounding spaces browsers ignore are taken out.

What it cannot see: URLs a script puts together at run time. Material's bundle
holds a few (a GitHub API call, a Mermaid loader) that only a page feature
caseload never ships would start; tests/test_site.py pins that they stay
dormant, and tests/test_browser.py records every request of a real browser.

The scanner works at regular-expression speed: attribute values made only of
characters that cannot form a scheme or a ``//`` (``roster.html``,
``#top``, ``../clients/C-1.html``) are passed over inside the expression
itself, so a page of thousands of links costs little more than reading it.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.fingerprint import code_digest
from generator.wording import printable

# --- URLs ---------------------------------------------------------------------------

_IGNORED_INSIDE = str.maketrans("\\", "/", "\t\n\r")  # what a URL parser drops or reads as /
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped at both ends
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_INLINE_SCHEMES = frozenset({"data"})


def _clean(url: str) -> str:
    return url.strip(_EDGES).translate(_IGNORED_INSIDE).strip(_EDGES)


def is_external(url: str) -> bool:
    """True if a browser following or loading `url` from a page of the site would
    leave the site: another host (``//host``), or any scheme but ``data:``."""
    cleaned = _clean(url)
    if cleaned.startswith("//"):
        return True
    scheme = _SCHEME.match(cleaned)
    return scheme is not None and scheme.group(1).lower() not in _INLINE_SCHEMES


def host_of(url: str) -> str:
    """The host an external `url` names (``evil.example``), or its scheme when it names
    none (``javascript:``, ``file:``); short and on one line, for an error message."""
    cleaned = _clean(url)
    scheme = _SCHEME.match(cleaned)
    name = scheme.group(1).lower() if scheme else ""
    rest = cleaned[scheme.end():] if scheme else cleaned
    if name in _NETWORK_SCHEMES or not scheme:
        authority = rest.lstrip("/")  # browsers take any number of slashes, or none
    elif rest.startswith("//"):
        authority = rest[2:]
    else:
        authority = ""
    host = re.split(r"[/?#]", authority, maxsplit=1)[0].rpartition("@")[2]  # no password
    if not host.startswith("["):
        host = host.partition(":")[0]
    return printable(host.lower())[:100] if host else printable(f"{name}:" if name else "//")[:40]


_NETWORK_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})


# --- HTML and SVG -------------------------------------------------------------------

URL_ATTRIBUTES = frozenset({
    "src", "href", "srcset", "imagesrcset", "poster", "data", "action", "formaction",
    "background", "manifest", "ping", "xlink:href", "icon", "longdesc", "cite", "codebase",
    "archive", "profile", "usemap", "lowsrc", "dynsrc",
})
_SEVERAL = {"srcset": ",", "imagesrcset": ","}  # "url 2x, url 3x"; ping: space-separated
# A value made of these alone holds no scheme (no ":"), no "//" (nor a tab or line
# break a browser would drop from between two slashes), no character reference,
# escape, quote or tag that could hide one: it stays inside the site, whatever the
# attribute. Such values (classes, plain links, SVG paths) are passed over by the
# expression itself; only the others are looked at in Python.
_LOCAL = r"(?:[\w.~#%?=+;!@$()*, -]|/(?!/))*+"
_LOCAL_UNQUOTED = r"(?:[\w.~#%?=+;!@$()*,-]|/(?!/))*+"
_VALUE = re.compile(
    "=[ \t\n\f\r]*(?:"
    '"(?!' + _LOCAL + '")(?P<dq>[^"]*)"'
    "|'(?!" + _LOCAL + "')(?P<sq>[^']*)'"
    r"|(?!" + _LOCAL_UNQUOTED + r"(?:[ \t\n\f\r>]|\Z))(?P<uq>[^ \t\n\f\r>" + "\"']+))"
)
# The attribute name that ends where an "=" (and the spaces before it) starts: it
# starts after a space, "/" or a quote. Longer names are none of ours.
_NAME_BEFORE = re.compile(r"""[ \t\n\f\r/"']([^ \t\n\f\r/>"'=]{1,30})\Z""")
_SPACE = " \t\n\f\r"
# Written out letter by letter: IGNORECASE would make the expressions several times slower.
_RAW_TEXT = re.compile(r"<([sS][cC][rR][iI][pP][tT]|[sS][tT][yY][lL][eE])(?![^\s/>])[^>]*>"
                       r"(.*?)(?:</(?i:\1)\s*>|\Z)", re.DOTALL)
_META = re.compile(r"<[mM][eE][tT][aA](?![^\s/>])[^>]*>")
# Names whose values hold a colon but never a URL; passed over before the name is read.
_NOT_URLS = ("xmlns", "media", "content")
_REFRESH = re.compile(r"""http-equiv\s*=\s*["']?\s*refresh""", re.IGNORECASE)
_META_CONTENT = re.compile(r"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REFRESH_URL = re.compile(r"""url\s*=\s*["']?([^"']*)""", re.IGNORECASE)


def _attribute_urls(name: str, value: str) -> list[str]:
    """The URLs an attribute's (decoded) value holds, or loads as CSS, JS or HTML."""
    if name in _SEVERAL:
        return [part.split()[0] for part in value.split(",") if part.strip()]
    if name == "ping":
        return value.split()
    if name in URL_ATTRIBUTES:
        return [value]
    if name == "style":
        return css_refs(value)
    if name == "srcdoc":
        return html_refs(value)
    if name.startswith("on"):
        return js_refs(value)
    return []


def html_refs(text: str) -> list[str]:
    """The URLs of an HTML (or SVG) document that may lead off the machine, in
    document order; values that plainly stay inside the site are not listed."""
    found: list[tuple[int, str]] = []
    for match in _VALUE.finditer(text):
        end = match.start()
        while end and text[end - 1] in _SPACE:
            end -= 1
        if text.endswith(_NOT_URLS, 0, end):  # no URL attribute's name ends so
            continue
        before = _NAME_BEFORE.search(text, max(0, end - 31), end)
        if before is None:
            continue
        raw = match.group("dq") if match.group("dq") is not None else \
            match.group("sq") if match.group("sq") is not None else match.group("uq")
        value = html.unescape(raw) if "&" in raw else raw
        found += [(match.start(), url) for url in _attribute_urls(before.group(1).lower(), value)]
    for match in _RAW_TEXT.finditer(text):
        scan = js_refs if match.group(1).lower() == "script" else css_refs
        found += [(match.start(2), url) for url in scan(match.group(2))]
    for match in _META.finditer(text):
        tag = match.group(0)
        content = _META_CONTENT.search(tag)
        if _REFRESH.search(tag) and content is not None:
            value = html.unescape(next(g for g in content.groups() if g is not None))
            target = _REFRESH_URL.search(value)
            if target is not None:
                found.append((match.start(), target.group(1)))
    return [url for _, url in sorted(found, key=lambda item: item[0])]


# --- CSS --------------------------------------------------------------------------

_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\f]?|(.))", re.DOTALL)
_CSS_STRING = r"""(?:"([^"]*)"|'([^']*)')"""
_CSS_GAP = r"""(?:\s|/\*.*?\*/)*"""
_CSS_LOADS = (
    re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))""", re.IGNORECASE),
    re.compile(r"@import" + _CSS_GAP + _CSS_STRING, re.IGNORECASE | re.DOTALL),
    re.compile(r"(?<![\w-])src\(\s*" + _CSS_STRING, re.IGNORECASE),
)
_IMAGE_SET = re.compile(r"image-set\(([^)]*)\)", re.IGNORECASE)
_ANY_STRING = re.compile(_CSS_STRING)


def _css_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"
    return _CSS_ESCAPE.sub(one, text)


def css_refs(text: str) -> list[str]:
    """Every URL a style sheet (or a style attribute's text) loads."""
    if "(" not in text and "@" not in text:  # no url(), @import, image-set() or src()
        return []
    texts = [text, _css_unescape(text)] if "\\" in text else [text]
    found: list[str] = []
    for css in texts:
        for pattern in _CSS_LOADS:
            found += [next(g for g in m.groups() if g is not None) for m in pattern.finditer(css)]
        for image_set in _IMAGE_SET.finditer(css):
            found += [next(g for g in m.groups() if g is not None)
                      for m in _ANY_STRING.finditer(image_set.group(1))]
    return found


# --- JavaScript ----------------------------------------------------------------------

_JS_STRING = r"""(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`)"""
_JS_GAP = r"""(?:\s|/\*.*?\*/|//[^\n]*\n)*"""
_JS_LOADS = (
    re.compile(r"\bimport" + _JS_GAP + r"\(" + _JS_GAP + _JS_STRING, re.DOTALL),
    re.compile(r"\bimport" + _JS_GAP + _JS_STRING, re.DOTALL),
    re.compile(r"\b(?:import|export)\b[\w\s{},*$]*?\bfrom" + _JS_GAP + _JS_STRING, re.DOTALL),
    re.compile(r"\b(?:Shared)?Worker" + _JS_GAP + r"\(" + _JS_GAP + _JS_STRING, re.DOTALL),
)
_IMPORT_SCRIPTS = re.compile(r"\bimportScripts" + _JS_GAP + r"\(([^)]*)\)", re.DOTALL)
_JS_ANY_STRING = re.compile(_JS_STRING, re.DOTALL)
_JS_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|(.))",
                        re.DOTALL)


def _js_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(4) is not None:
            return match.group(4)
        code = int(next(g for g in match.groups()[:3] if g is not None), 16)
        return chr(code) if code < 0x110000 else "\ufffd"
    return _JS_ESCAPE.sub(one, text) if "\\" in text else text


def js_refs(text: str) -> list[str]:
    """Every URL a script imports or starts a worker from, written out as a string."""
    if "import" not in text and "export" not in text and "Worker" not in text:
        return []  # most scripts: no pattern can match
    found = [_js_unescape(next(g for g in m.groups() if g is not None))
             for pattern in _JS_LOADS for m in pattern.finditer(text)]
    for call in _IMPORT_SCRIPTS.finditer(text):
        found += [_js_unescape(next(g for g in m.groups() if g is not None))
                  for m in _JS_ANY_STRING.finditer(call.group(1))]
    return found


# --- a whole site --------------------------------------------------------------------

SCANNERS: dict[str, Callable[[str], list[str]]] = {
    ".html": html_refs, ".htm": html_refs, ".xhtml": html_refs, ".svg": html_refs,
    ".css": css_refs, ".js": js_refs, ".mjs": js_refs,
}


@dataclass(frozen=True)
class Reference:
    """A reference off the machine: the file it is in (relative, POSIX) and the URL."""

    path: str
    url: str

    @property
    def host(self) -> str:
        return host_of(self.url)

    def __str__(self) -> str:
        return f"{self.path}: {self.url}"


def _files(site: Path) -> list[tuple[str, str, os.stat_result]]:
    """(relative POSIX path, path, stat) of every regular file of `site` the scanner
    reads, sorted by path; links are neither followed nor read."""
    found: list[tuple[str, str, os.stat_result]] = []
    pending = [(str(site), "")]
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                elif os.path.splitext(entry.name)[1].lower() in SCANNERS \
                        and entry.is_file(follow_symlinks=False):
                    found.append((f"{prefix}{entry.name}", entry.path,
                                  entry.stat(follow_symlinks=False)))
    return sorted(found)


def _same_file(info: os.stat_result, old: str) -> bool:
    try:
        before = os.stat(old, follow_symlinks=False)
    except OSError:
        return False
    return (before.st_dev, before.st_ino) == (info.st_dev, info.st_ino)


def _same_bytes(data: bytes, old: str) -> bool:
    try:
        if os.stat(old, follow_symlinks=False).st_size != len(data) or not os.path.isfile(old):
            return False
        with open(old, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def external_references(site: Path, previous: Path | None = None) -> list[Reference]:
    """Every reference off the machine in the files of `site`.

    With `previous`, a site that passed this very scan, a file that is the one at
    the same path there (a page the build took over as it was: a hard link), or
    has the same bytes, is not scanned again: the verdict depends on nothing else.
    """
    problems: list[Reference] = []
    for rel, path, info in _files(site):
        old = os.path.join(previous, rel) if previous is not None else None
        if old is not None and info.st_nlink > 1 and _same_file(info, old):
            continue  # not even read
        with open(path, "rb") as handle:
            data = handle.read()
        if old is not None and _same_bytes(data, old):
            continue
        scan = SCANNERS[os.path.splitext(rel)[1].lower()]
        problems += [Reference(rel, url) for url in scan(data.decode("utf-8", "replace"))
                     if is_external(url)]
    return problems


def scanner_id() -> str:
    """Changes whenever this scanner does: a site scanned by another one is scanned whole."""
    return code_digest("site/references.py").hex()[:16]
