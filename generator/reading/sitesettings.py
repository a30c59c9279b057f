"""Read the workspace's mkdocs.yml into plain, checked site settings.

MkDocs reads mkdocs.yml with a YAML loader that builds Python objects (a
`!!python/object/apply:os.system [...]` value runs a command) and imports the
files named under `hooks:`. So the site engine never reads it: caseload reads
it here, the way it reads every other workspace file (composed into nodes,
never constructed; every problem reported as `mkdocs.yml:LINE: where: what`,
all of them at once), against an allowlist, and `site.py` builds the engine's
configuration from the plain data this module returns.

* No tags of any kind (`!ENV`, `!relative`, `!!python/...`, even `!!str`), no
  anchors or aliases (the settings are short: write each value out), no
  duplicate keys.
* Keys caseload sets itself (`site_url`, `repo_url`, `nav`, `docs_dir`,
  `theme.font`, `extra.analytics`, ...) are accepted and overridden: they are
  checked to be plain data and left out.
* `hooks`, `INHERIT`, `theme.custom_dir`, plugins other than search, Markdown
  extensions that read files or name Python code, and every key not listed
  here are errors.
* Files the site loads (`extra_css`, `extra_javascript`, `theme.logo`,
  `theme.favicon`) and `extra.homepage` must be relative paths inside the site:
  no scheme (`https:`, `javascript:`, `data:`), no `//host`, no `..` out of it.
* Text the theme prints without escaping (`copyright`, `site_description`,
  `site_author`, palette toggle names) is HTML-escaped here.

This module belongs to reading: it imports nothing of the site engine.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import posixpath
import re
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from markupsafe import escape
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.model.site import SiteSettings
from generator.reading import yamlnodes
from generator.reading.exact import (
    INT_PATTERN,
    MAX_EXTRA_DEPTH,
    InputError,
    WorkspaceInvalid,
    _bool,
    _Collect,
    _decode,
    _Doc,
    _each,
    _fields,
    _Invalid,
    _is_null,
    _join,
    _kind,
    _parse,
    _read_bytes,
    _scalar,
    _short,
    _too_large,
    _TooLarge,
)
from generator.wording import suggest

SETTINGS_FILE = "mkdocs.yml"

Read = Callable[[_Doc, Node, str], Any]


def builtin_settings_file() -> Path:
    """The mkdocs.yml `caseload init` writes, used by a workspace that has none."""
    return Path(str(files("generator") / "example" / SETTINGS_FILE))


def read_site_settings(workspace: Path) -> SiteSettings:
    """The workspace's site settings, or WorkspaceInvalid with every problem.

    A workspace without mkdocs.yml gets the built-in one, read the same way.
    """
    own = workspace / SETTINGS_FILE
    if own.exists() or own.is_symlink():
        return read_settings_file(own, root=workspace, shown=SETTINGS_FILE)
    return read_settings_file(builtin_settings_file())


def read_settings_file(path: Path, root: Path | None = None, shown: str | None = None
                       ) -> SiteSettings:
    """Settings from one file, which must lie inside `root` (default: its folder);
    errors name it as `shown` (default: its path)."""
    path = Path(path).absolute()
    errors: list[InputError] = []
    doc = _Doc(shown or str(path), errors, budget=0)
    values = _read(Path(root).absolute() if root else path.parent, path, doc)
    if errors:
        raise WorkspaceInvalid(errors)
    return SiteSettings(str(path), values)


def _read(root: Path, path: Path, doc: _Doc) -> dict[str, Any]:
    data = _read_bytes(root, path, doc, resolve=True)
    text = _decode(data, doc) if data is not None else None
    if text is None:
        return {}
    try:
        node = _parse(doc, text)
        _refuse_properties(doc, node, text)
        return _settings(doc, node)
    except _Invalid:
        return {}
    except _TooLarge:
        doc.errors.append(_too_large(doc))
        return {}


# --- tags, anchors, duplicate keys -----------------------------------------------------


def _refuse_properties(doc: _Doc, root: Node | None, text: str) -> None:
    """An error for every explicit tag and anchor (an alias needs an anchor)."""
    found = yamlnodes.node_properties(text)
    if not found or root is None:
        return
    wheres = _wheres(root)
    for line, column, kind, name in found:
        where = wheres.get((line, column), "document")
        what = (f"tags are not allowed (found '{_short(name)}'): mkdocs.yml holds plain "
                "settings only" if kind == "tag" else
                f"anchors and aliases are not allowed (found '&{_short(name)}'): "
                "write the value out")
        doc.errors.append(InputError(doc.path, line + 1, where, what))


def _wheres(root: Node) -> dict[tuple[int, int], str]:
    """Where each node of the document is, by the position it starts at."""
    found: dict[tuple[int, int], str] = {}
    seen: set[int] = set()
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, where = stack.pop()
        found.setdefault((node.start_mark.line, node.start_mark.column), where or "document")
        if id(node) in seen:  # an alias: its node is walked once
            continue
        seen.add(id(node))
        children: list[tuple[Node, str]] = []
        if isinstance(node, SequenceNode):
            children = [(item, _join(where, i)) for i, item in enumerate(node.value)]
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                inner = _join(where, key.value) if isinstance(key, ScalarNode) else where
                children += [(key, inner), (value, inner)]
        stack.extend(reversed(children))  # in the order they are written
    return found


def _free(doc: _Doc, node: Node, where: str, depth: int = 0) -> None:
    """Any plain data (a setting caseload overrides): text keys, no duplicates."""
    doc.visit()
    if depth > MAX_EXTRA_DEPTH:
        doc.error(node, where, f"nested more than {MAX_EXTRA_DEPTH} levels deep")
        raise _Invalid
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _free(doc, item, _join(where, index), depth + 1)
    elif isinstance(node, MappingNode):
        fields = _fields(doc, node, where, tuple(_text_keys(node)), own_keys=False)
        for key, value in fields.values.items():
            _free(doc, value, _join(where, key), depth + 1)


def _text_keys(node: MappingNode) -> list[str]:
    return [key.value for key, _ in node.value if isinstance(key, ScalarNode)]


# --- values ----------------------------------------------------------------------------


def _text(doc: _Doc, node: Node, where: str) -> str:
    return _scalar(doc, node, where, "text")


def _escaped(doc: _Doc, node: Node, where: str) -> str:
    """Text the theme prints as HTML: escaped, so it shows as written."""
    return str(escape(_text(doc, node, where)))


def _prose(doc: _Doc, node: Node, where: str) -> str:
    """Prose the theme prints as HTML (a description, a copyright notice): escaped, and,
    like a note, it may run over several lines: `site_description: >` is how many
    mkdocs.yml files spell a long one, and a line break in HTML is only a space."""
    return str(escape(_scalar(doc, node, where, "text", several_lines=True)))


def _whole(low: int, high: int) -> Read:
    def read(doc: _Doc, node: Node, where: str) -> int:
        value = _scalar(doc, node, where, "a whole number")
        if not INT_PATTERN.fullmatch(value) or not low <= int(value) <= high:
            doc.error(node, where, f"expected a whole number from {low} to {high}, "
                      f"got '{_short(value)}'")
            raise _Invalid
        return int(value)
    return read


def _choice(*choices: str) -> Read:
    def read(doc: _Doc, node: Node, where: str) -> str:
        value = _scalar(doc, node, where, "one of: " + ", ".join(choices))
        if value not in choices:
            doc.error(node, where, f"unknown value '{_short(value)}'{suggest(value, choices)} "
                      f"(one of: {', '.join(choices)})")
            raise _Invalid
        return value
    return read


def _pattern(pattern: str, what: str) -> Read:
    compiled = re.compile(pattern)

    def read(doc: _Doc, node: Node, where: str) -> str:
        value = _scalar(doc, node, where, what)
        if not compiled.fullmatch(value):
            doc.error(node, where, f"'{_short(value)}' is not {what}")
            raise _Invalid
        return value
    return read


def _plain_bool(node: Node) -> bool | None:
    if isinstance(node, ScalarNode) and not node.style and node.value.lower() in ("true", "false"):
        return node.value.lower() == "true"
    return None


def _bool_or(read: Read) -> Read:
    """true or false (unquoted), else what `read` takes."""
    def either(doc: _Doc, node: Node, where: str) -> Any:
        flag = _plain_bool(node)
        return flag if flag is not None else read(doc, node, where)
    return either


def _list_of(read: Read, one_is_enough: bool = False) -> Read:
    """A list of what `read` takes (or, with `one_is_enough`, a single one)."""
    def many(doc: _Doc, node: Node, where: str) -> Any:
        if one_is_enough and isinstance(node, ScalarNode):
            return read(doc, node, where)
        if not isinstance(node, SequenceNode):
            doc.error(node, where, f"expected a list, got {_kind(node)}")
            raise _Invalid
        errors = len(doc.errors)
        items = list(_each(doc, node, where, read))
        if len(doc.errors) > errors:
            raise _Invalid
        return items
    return many


def _code_style(doc: _Doc, node: Node, where: str) -> str:
    """A Pygments style, by name (a name Pygments does not know would fail the build)."""
    from pygments.styles import get_all_styles

    value = _scalar(doc, node, where, "a Pygments style name")
    styles = sorted(get_all_styles())
    if value not in styles:
        doc.error(node, where, f"unknown Pygments style '{_short(value)}'"
                  f"{suggest(value, styles)}")
        raise _Invalid
    return value


_CLASS = _pattern(r"[A-Za-z0-9_ -]*", "a class name (letters, digits, spaces, '-' or '_')")
_NAME = _pattern(r"[A-Za-z0-9_-]+", "a name (letters, digits, '-' or '_')")
_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9._~+@/-]+")


def _local_path(doc: _Doc, node: Node, where: str) -> str:
    """A file of the site itself, as a relative path: never another host."""
    value = _scalar(doc, node, where, "a relative path like assets/logo.png")
    problem = _path_problem(value)
    if problem:
        doc.error(node, where, f"'{_short(value)}' {problem}")
        raise _Invalid
    return value


def _path_problem(value: str) -> str | None:
    if ":" in value:  # a scheme: https:, javascript:, data:, a Windows drive, ...
        return ("is not allowed: only a relative path to a file of the site "
                "(the site loads nothing from another host)")
    if value.startswith(("/", "\\")):
        return "must be a relative path, like assets/logo.png (no leading '/')"
    if not _PATH_CHARACTERS.fullmatch(value):
        return "may hold only letters, digits and . _ ~ + @ / -"
    normal = posixpath.normpath(value)
    if normal == ".." or normal.startswith("../"):
        return "leads outside the site"
    return None


# Material for MkDocs' own files, found without importing it (nor MkDocs).
@functools.cache
def _theme_folder() -> Path | None:
    spec = importlib.util.find_spec("material")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) / "templates" if locations else None


@functools.cache
def _theme_languages() -> tuple[str, ...]:
    folder = _theme_folder()
    languages = folder / "partials" / "languages" if folder else None
    if languages is None or not languages.is_dir():
        return ()
    return tuple(sorted(p.stem for p in languages.glob("*.html")))


_LANGUAGE = _pattern(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", "a language code like en or pt-BR")
_ICON = _pattern(r"[a-z0-9-]+(/[a-z0-9-]+)*", "an icon name like material/weather-night")


def _language(doc: _Doc, node: Node, where: str) -> str:
    value = _LANGUAGE(doc, node, where)
    known = _theme_languages()
    if known and value not in known:
        doc.error(node, where, f"the theme has no language '{_short(value)}'"
                  f"{suggest(value, known)}")
        raise _Invalid
    return value


def _icon(doc: _Doc, node: Node, where: str) -> str:
    value = _ICON(doc, node, where)
    folder = _theme_folder()
    if folder and (folder / ".icons").is_dir() and not (folder / ".icons" / f"{value}.svg"
                                                        ).is_file():
        doc.error(node, where, f"the theme has no icon '{_short(value)}'")
        raise _Invalid
    return value


# --- mappings --------------------------------------------------------------------------


def _mapping(doc: _Doc, node: Node, where: str, schema: Mapping[str, Read],
             refused: Mapping[str, str] | None = None, overridden: tuple[str, ...] = (),
             required: tuple[str, ...] = (), expected: str = "a mapping") -> dict[str, Any]:
    """A mapping read key by key with `schema`: every problem recorded, then _Invalid.

    Keys in `refused` are errors with their reason; `overridden` keys are taken
    as any plain data and left out."""
    refused = refused or {}
    errors = len(doc.errors)
    fields = _fields(doc, node, where, (*schema, *refused, *overridden), required,
                     expected=expected, own_keys=False)
    read = _Collect(doc, fields, where, required)
    out: dict[str, Any] = {}
    for key, value_node in fields.values.items():
        key_where = _join(where, key)
        if key in refused:
            doc.error(_key_node(fields.node, key), key_where, f"not allowed: {refused[key]}")
        elif key in overridden:
            with contextlib.suppress(_Invalid):
                _free(doc, value_node, key_where)
        else:
            value = read.get(key, schema[key])
            if value is not None:
                out[key] = value
    if len(doc.errors) > errors:
        raise _Invalid
    return out


def _key_node(node: MappingNode, key: str) -> Node:
    return next(k for k, _ in node.value if isinstance(k, ScalarNode) and k.value == key)


def _named(doc: _Doc, node: Node, where: str, kind: str, known: Mapping[str, Any],
           refused: Mapping[str, str], aliases: Mapping[str, str] | None = None,
           allowed: str | None = None) -> tuple[str, Node | None, str]:
    """A list item naming a plugin or an extension: `name`, or `{name: options}`.

    Returns the name (as `known` has it), its options node and their `where`."""
    options: Node | None = None
    if isinstance(node, MappingNode):
        if len(node.value) != 1 or not isinstance(node.value[0][0], ScalarNode):
            doc.error(node, where, f"expected a {kind} name, or one name with its options")
            raise _Invalid
        key, options = node.value[0]
        name = key.value
        if options is not None and _is_null(options):
            options = None
    else:
        name = _scalar(doc, node, where, f"a {kind} name")
    name = (aliases or {}).get(name, name)
    inner = _join(where, name)
    if name in refused:
        doc.error(node, inner, f"{kind} '{_short(name)}' is not allowed: {refused[name]}")
        raise _Invalid
    if name not in known:
        allowed = allowed or "the README lists those allowed"
        doc.error(node, inner, f"unknown {kind} '{_short(name)}'{suggest(name, known)} "
                  f"({allowed})")
        raise _Invalid
    return name, options, inner


def _unique(read: Read, what: str) -> Read:
    """A list of named items (plugins, extensions), each named once."""
    def unique(doc: _Doc, node: Node, where: str) -> list[Any]:
        if not isinstance(node, SequenceNode):
            doc.error(node, where, f"expected a list, got {_kind(node)}")
            raise _Invalid
        items, failed = [], False
        seen: dict[str, int] = {}
        for index, item_node in enumerate(node.value):
            doc.visit()
            try:
                item = read(doc, item_node, _join(where, index))
            except _Invalid:
                failed = True
                continue
            name = item if isinstance(item, str) else next(iter(item))
            if name in seen:
                doc.error(item_node, _join(where, index), f"{what} '{name}' is listed twice "
                          f"(first on line {seen[name]})")
                failed = True
            seen.setdefault(name, item_node.start_mark.line + 1)
            items.append(item)
        if failed:
            raise _Invalid
        return items
    return unique


# --- the schema ------------------------------------------------------------------------

_CODE = "it names Python code to run"

# Option names and types of each Markdown extension caseload allows: the standard
# ones and pymdownx ones that neither read files nor fetch anything.
_HIGHLIGHT: dict[str, Read] = {
    "use_pygments": _bool, "guess_lang": _bool_or(_choice("block", "inline")),
    "css_class": _CLASS, "pygments_style": _code_style, "noclasses": _bool, "linenums": _bool,
    "linenums_style": _choice("table", "pymdownx-inline", "inline"),
    "linenums_special": _whole(-1, 1_000_000), "linenums_class": _CLASS,
    "language_prefix": _CLASS, "code_attr_on_pre": _bool, "auto_title": _bool,
    "line_spans": _CLASS, "anchor_linenums": _bool, "line_anchors": _CLASS,
    "pygments_lang_class": _bool, "stripnl": _bool, "default_lang": _NAME,
}
EXTENSIONS: dict[str, dict[str, Read]] = {
    "abbr": {},
    "admonition": {},
    "attr_list": {},
    "codehilite": {"linenums": _bool, "guess_lang": _bool, "css_class": _CLASS,
                   "pygments_style": _code_style, "noclasses": _bool, "use_pygments": _bool,
                   "lang_prefix": _CLASS},
    "def_list": {},
    "extra": {},
    "fenced_code": {"lang_prefix": _CLASS},
    "footnotes": {"UNIQUE_IDS": _bool, "USE_DEFINITION_ORDER": _bool},
    "legacy_attrs": {},
    "legacy_em": {},
    "md_in_html": {},
    "meta": {},
    "nl2br": {},
    "sane_lists": {},
    "smarty": dict.fromkeys(
        ("smart_quotes", "smart_angled_quotes", "smart_dashes", "smart_ellipses"), _bool),
    "tables": {"use_align_attribute": _bool},
    "toc": {"marker": _text, "title": _text, "title_class": _CLASS, "toc_class": _CLASS,
            "anchorlink": _bool, "anchorlink_class": _CLASS,
            "permalink": _bool_or(_text), "permalink_class": _CLASS,
            "permalink_title": _text, "permalink_leading": _bool,
            "baselevel": _whole(1, 6), "separator": _pattern(r"[A-Za-z0-9_-]{0,3}", "a separator"),
            "toc_depth": _pattern(r"[1-6](-[1-6])?", "a depth like 3 or 2-4")},
    "pymdownx.betterem": {"smart_enable": _choice("all", "asterisk", "underscore", "none")},
    "pymdownx.blocks.admonition": {},
    "pymdownx.blocks.details": {},
    "pymdownx.blocks.tab": {"alternate_style": _bool, "combine_header_slug": _bool},
    "pymdownx.caret": dict.fromkeys(
        ("smart_insert", "insert", "superscript", "no_space", "punctuation"), _bool),
    "pymdownx.critic": {"mode": _choice("view", "accept", "reject"), "raw_view": _bool},
    "pymdownx.details": {},
    "pymdownx.escapeall": {"hardbreak": _bool, "nbsp": _bool},
    "pymdownx.highlight": _HIGHLIGHT,
    "pymdownx.inlinehilite": {"style_plain_text": _bool, "css_class": _CLASS},
    "pymdownx.keys": {"strict": _bool, "camel_case": _bool, "class": _CLASS},
    "pymdownx.mark": {"smart_mark": _bool},
    "pymdownx.progressbar": {"level_class": _bool, "progress_increment": _whole(1, 100),
                             "add_classes": _CLASS},
    "pymdownx.saneheaders": {},
    "pymdownx.smartsymbols": dict.fromkeys(
        ("trademark", "copyright", "registered", "plusminus", "arrows", "notequal",
         "fractions", "ordinal_numbers", "care_of"), _bool),
    "pymdownx.superfences": {"disable_indented_code_blocks": _bool, "css_class": _CLASS,
                             "preserve_tabs": _bool, "relaxed_headers": _bool},
    "pymdownx.tabbed": {"alternate_style": _bool, "combine_header_slug": _bool},
    "pymdownx.tasklist": {"custom_checkbox": _bool, "clickable_checkbox": _bool},
    "pymdownx.tilde": dict.fromkeys(
        ("smart_delete", "delete", "subscript", "no_space", "punctuation"), _bool),
}
# Options that name Python code (or read files): refused wherever they occur.
_REFUSED_OPTIONS = {
    "slugify": _CODE, "custom_fences": _CODE, "custom_inline": _CODE,
    "extend_pygments_lang": "it changes how code is read; not needed for a caseload site",
    "pygments_formatter": _CODE, "build_url": _CODE,
    "BACKLINK_TEXT": "it is written into every page as HTML",
    "SUPERSCRIPT_TEXT": "it is written into every page as HTML",
    "substitutions": "they are written into every page as HTML",
}
REFUSED_EXTENSIONS = {
    "pymdownx.snippets": "it copies other files, from anywhere on this computer or the web, "
                         "into pages",
    "pymdownx.b64": "it reads files from this computer into pages",
    "pymdownx.pathconverter": "it rewrites links to files outside the site",
    "pymdownx.emoji": "it loads emoji pictures from another host, or names Python code",
    "pymdownx.arithmatex": "the maths it marks up is drawn by a script from another host",
    "pymdownx.magiclink": "it links to other hosts",
    "pymdownx.snippet": "it copies other files into pages",
    "wikilinks": "it makes links from page text",
}
_EXTENSION_ALIASES = {f"markdown.extensions.{name}": name for name in EXTENSIONS
                      if not name.startswith("pymdownx.")}


def _extension(doc: _Doc, node: Node, where: str) -> Any:
    name, options, inner = _named(doc, node, where, "Markdown extension", EXTENSIONS,
                                  REFUSED_EXTENSIONS, _EXTENSION_ALIASES)
    if options is None:
        return name
    refused = {k: v for k, v in _REFUSED_OPTIONS.items() if k not in EXTENSIONS[name]}
    if not EXTENSIONS[name] and isinstance(options, MappingNode):
        refused = dict.fromkeys(_text_keys(options), f"'{name}' takes no options here")
    values = _mapping(doc, options, inner, EXTENSIONS[name], refused,
                      expected="a mapping of options")
    return {name: values} if values else name


PLUGINS = ("search", "material/search")
_SEARCH_OPTIONS: dict[str, Read] = {
    "lang": _list_of(_pattern(r"[a-z]{2}([_-][A-Za-z]{2,4})?", "a language code like en"),
                     one_is_enough=True),
    "separator": _text,
    "pipeline": _list_of(_choice("stemmer", "stopWordFilter", "trimmer")),
}


def _plugin(doc: _Doc, node: Node, where: str) -> Any:
    name, options, inner = _named(doc, node, where, "plugin", dict.fromkeys(PLUGINS), {},
                                  allowed="plugins run Python code: only search is allowed")
    if options is None:
        return name
    values = _mapping(doc, options, inner, _SEARCH_OPTIONS,
                      {"jieba_dict": "it reads a file", "jieba_dict_user": "it reads a file"},
                      expected="a mapping of search options")
    return {name: values} if values else name


def _script(doc: _Doc, node: Node, where: str) -> Any:
    if isinstance(node, MappingNode):
        return _mapping(doc, node, where, {
            "path": _local_path, "type": _choice("module", "text/javascript"),
            "defer": _bool, "async": _bool}, required=("path",),
            expected="a path, or a mapping with a path")
    return _local_path(doc, node, where)


def _palette_colours(doc: _Doc, node: Node, where: str) -> dict[str, Any]:
    colour = _pattern(r"[A-Za-z0-9 _-]+", "a colour name like teal or deep purple")
    return _mapping(doc, node, where, {
        "media": _pattern(r"[A-Za-z0-9 ():,._-]*", "a media query like "
                          "(prefers-color-scheme: dark)"),
        "scheme": _NAME, "primary": colour, "accent": colour,
        "toggle": lambda d, n, w: _mapping(d, n, w, {"icon": _icon, "name": _escaped},
                                           required=("icon", "name")),
    })


def _palette(doc: _Doc, node: Node, where: str) -> Any:
    if isinstance(node, MappingNode):
        return _palette_colours(doc, node, where)
    return _list_of(_palette_colours)(doc, node, where)


def _icons_by_name(doc: _Doc, node: Node, where: str) -> dict[str, str]:
    if not isinstance(node, MappingNode):
        doc.error(node, where, f"expected a mapping of names to icons, got {_kind(node)}")
        raise _Invalid
    names = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
    for key, _ in node.value:
        if isinstance(key, ScalarNode) and not re.fullmatch(r"[A-Za-z0-9_-]+", key.value):
            doc.error(key, _join(where, key.value), "a name may hold only letters, digits, "
                      "'-' or '_'")
            raise _Invalid
    return _mapping(doc, node, where, dict.fromkeys(names, _icon))


_ICONS: dict[str, Read] = {
    **dict.fromkeys(("logo", "repo", "edit", "view", "menu", "alternate", "search", "share",
                     "close", "top", "previous", "next", "annotation"), _icon),
    "admonition": _icons_by_name, "tag": _icons_by_name,
}


def _theme(doc: _Doc, node: Node, where: str) -> dict[str, Any]:
    if isinstance(node, ScalarNode):  # `theme: material`
        return {"name": _theme_name(doc, node, where)}
    return _mapping(doc, node, where, {
        "name": _theme_name,
        "language": _language,
        "direction": _choice("ltr", "rtl"),
        "features": _list_of(_pattern(r"[a-z]+(\.[a-z]+)*", "a feature like navigation.top")),
        "palette": _palette,
        "icon": lambda d, n, w: _mapping(d, n, w, _ICONS),
        "logo": _local_path,
        "favicon": _local_path,
    }, refused={
        "custom_dir": "the site engine would run theme templates from the workspace; "
                      "change pages through templates/ instead",
        "static_templates": "caseload chooses the pages of the site",
    }, overridden=("font",), required=("name",), expected="a mapping with the theme's name")


def _theme_name(doc: _Doc, node: Node, where: str) -> str:
    value = _scalar(doc, node, where, "a theme name")
    if value != "material":
        doc.error(node, where, f"the theme must be 'material', not '{_short(value)}'")
        raise _Invalid
    return value


# Keys of `extra` that caseload switches off (they load from or link to other hosts).
_EXTRA_OVERRIDDEN = ("analytics", "consent", "social", "alternate", "version", "polyfills")


def _extra(doc: _Doc, node: Node, where: str) -> dict[str, Any]:
    return _mapping(doc, node, where, {"homepage": _local_path, "generator": _bool},
                    overridden=_EXTRA_OVERRIDDEN, expected="a mapping")


# Top-level keys. Caseload sets these itself, whatever the file says.
OVERRIDDEN = ("site_name", "site_url", "repo_url", "repo_name", "edit_uri", "edit_uri_template",
              "nav", "docs_dir", "site_dir", "use_directory_urls", "strict")
REFUSED = {
    "hooks": "hooks are Python files the site engine would run",
    "INHERIT": "settings come from this file alone",
    "plugins_dir": "plugins run Python code",
    "watch": "caseload serve watches the workspace itself",
    "extra_templates": "caseload chooses the pages of the site",
    "exclude_docs": "caseload chooses the pages of the site",
    "draft_docs": "caseload chooses the pages of the site",
    "not_in_nav": "caseload chooses the pages of the site",
    "validation": "caseload checks every link of the site itself",
    "google_analytics": "the site sends nothing to another host",
    "dev_addr": "caseload serve chooses its own address",
    "remote_branch": "caseload does not publish the site",
    "remote_name": "caseload does not publish the site",
    "mdx_configs": "give options under markdown_extensions",
}
ACCEPTED: dict[str, Read] = {
    "site_description": _prose,
    "site_author": _escaped,
    "copyright": _prose,
    "theme": _theme,
    "plugins": _unique(_plugin, "plugin"),
    "markdown_extensions": _unique(_extension, "Markdown extension"),
    "extra_css": _list_of(_local_path),
    "extra_javascript": _list_of(_script),
    "extra": _extra,
}


def _settings(doc: _Doc, root: Node | None) -> dict[str, Any]:
    if root is None:
        doc.error(None, "document", "the file is empty; it needs at least "
                  "'theme: {name: material}'")
        raise _Invalid
    return _mapping(doc, root, "", ACCEPTED, REFUSED, OVERRIDDEN, required=("theme",),
                    expected="a mapping of site settings")
