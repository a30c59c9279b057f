"""Static-site build layer: the only module that calls the site engine's API.

The rest of caseload renders Markdown into a docs folder and calls
:func:`build_site`. The engine is MkDocs 1.x or ProperDocs, its maintained fork
(engines.py): both offer the very API this module uses, under the name
``mkdocs``, so the same code builds with either. ProperDocs runs it in a process
of its own (engine_process.py). An engine with another API (Zensical, MkDocs 2)
means rewriting this module only.

Decisions (MkDocs 1.6 or ProperDocs 1.6 + Material for MkDocs 9.x):

* Settings. MkDocs never reads ``mkdocs.yml``: its YAML loader constructs Python
  objects (a ``!!python/...`` tag runs code) and ``hooks`` are imported as
  Python. ``sitesettings.py`` reads the file with caseload's own safe reading
  and an allowlist; here the configuration is built from that plain data the
  way ``mkdocs.config.load_config`` builds it, minus the YAML step.
  ``config_file_path`` still names the file (MkDocs resolves relative paths
  against its folder) but nothing opens it.

* Privacy. Settings that would make a browser contact another host are forced
  off whatever ``mkdocs.yml`` says: web fonts (``theme.font``), analytics and
  consent, ``extra.polyfills``, repository links (Material's header widget asks
  the GitHub/GitLab API for stars), ``site_url`` (canonical links), footer links
  to other sites. Remote ``extra_css``/``extra_javascript``/logo/favicon and any
  plugin other than search are refused with :class:`SiteBuildError`.

* Search and ``file://``. Material's ``offline`` plugin is *not* used: in 9.x it
  does three things, (1) ``use_directory_urls: false``, which we set ourselves;
  (2) appends ``https://unpkg.com/iframe-worker/shim`` to ``extra.polyfills``, a
  remote script on every page, which is exactly what we must not ship; (3) copies
  the search index into ``search/search_index.js`` as ``var __index = ...``,
  which Material's bundle loads instead of fetching JSON when the page URL is
  ``file:``. We do (3) ourselves (a data file, no third-party code) and ship no
  worker shim. Result: served over http (``caseload serve``) search works fully;
  opened from disk, browsers that refuse to start a Web Worker from ``file:``
  (Chrome, Firefox) make Material hide the search box (it catches the failed
  ``new Worker`` and sets the search component hidden; checked in Chromium:
  no console error, no request off the disk). The ``.js`` index keeps every
  ``file:`` code path that reads the index working (``search.highlight``
  errors without it; so would a browser that does allow ``file:`` workers).

* Reproducibility. ``SOURCE_DATE_EPOCH`` is set for the duration of the build
  (MkDocs uses it for sitemap dates and the gzip header of ``sitemap.xml.gz``;
  from 2106-02-08 on, a date the header's 32 bits cannot hold, the header says
  "no time" instead).

* Scale. Client pages are expected to be left out of ``nav`` and to carry
  ``search: {exclude: true}`` front matter; pages missing from ``nav`` are never
  reported (``validation.nav.omitted_files`` is forced to ``ignore``).

* Long tables. Pages the engine builds keep the rows of their long HTML tables
  (roster, action list, payers, clinicians) out of MkDocs' Markdown, which
  would otherwise read every tag of them twice only to copy them as they are:
  a plugin of ours empties each table before conversion and puts the rows back
  in the HTML after (see passthrough.py). It runs before any other plugin
  reads the HTML, so the theme and the search index see the very same page.
  Should a table not come back as it went in, that one page is converted again
  whole (MkDocs' own ``Page.render``), and the build says so.

* Alike pages (client pages). MkDocs builds one shell page; shell.py makes the
  others around it, with MkDocs' own link rewriting (``_ShellLinks``). A page
  whose key and frame did not change is taken from the previous site (see
  reuse.py). The keys are derived in one place, ``pages/render.py``
  (``ClientPages.key``), from everything that shapes a page, with what only
  the engine knows from :func:`engine_fingerprint`. Whenever the shell does
  not fit, every page is built by MkDocs, and the build says so.

* Atomicity. MkDocs builds into a fresh ``0o700`` sibling of ``site_dir``; only
  a complete, warning-free build that refers to nothing off the machine (every
  file it wrote is scanned: references.py) is swapped in (old renamed away, new
  renamed in, old deleted). On failure the previous site is untouched and the
  staging folder is removed. An existing ``site_dir`` is only ever replaced if
  it is empty or carries the marker file written by a previous build, so a
  mistyped path can never delete unrelated data. A build that was killed
  leaves its folders behind; :func:`recover_site`, run by the next build with
  the site's lock held, deletes them and completes or undoes a cut swap.

MkDocs keeps global state (logging handlers, ``os.environ``): call
:func:`build_site` from one thread at a time.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

import markdown
import mkdocs.commands.build
from markdown.util import AMP_SUBSTITUTE
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import config_options
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, MkDocsException
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page, _RelativePathTreeprocessor

from generator.errors import SiteBuildError
from generator.model.site import SiteSettings
from generator.private import FILE_MODE, make_private, make_private_folders
from generator.site import passthrough, references, reuse, shell
from generator.site.engines import Engine

__all__ = ["SiteBuildError", "build_site", "engine_fingerprint"]

MARKER_NAME = ".caseload-site"
_MARKER_TEXT = "Built by caseload. This whole folder is replaced on every build.\n"
_ALLOWED_PLUGINS = frozenset({"search", "material/search"})
_FORCED_OFF_EXTRA = ("analytics", "consent", "social", "alternate", "version")
_LOGGER_NAME = "mkdocs"
# ProperDocs logs under its own name; the plugins it runs (Material) still under mkdocs'.
_LOGGER_NAMES = (_LOGGER_NAME, "properdocs")
_TABLES_PLUGIN = "caseload/passthrough-tables"
_FILES_PLUGIN = "caseload/files"
# Installed packages whose code shapes a page the engine builds besides the engine
# itself: its theme, the Markdown converter, its extensions, and the code highlighter.
_ENGINE_PACKAGES = ("mkdocs-material", "Markdown", "pymdown-extensions", "Pygments")
Warn = Callable[[str], None]


@dataclass(frozen=True)
class AlikePages:
    """Pages too many and too alike to draw one by one through the theme (see shell.py).

    They all sit in `folder`, share their front matter (but the title) and their
    section headings, stay out of the nav, and are linked to as .html pages.
    """

    folder: str
    # page stem -> a digest of everything that shapes the page, the engine's part
    # (engine_fingerprint) included; an unchanged key lets the page be reused.
    keys: Mapping[str, str]
    render: Callable[[str], str]  # page stem -> its Markdown, asked for only when needed
    progress: shell.Progress | None = None
    # Writes the Markdown of many of these pages into the folder at once, before they
    # are made: for an engine in a process of its own (engine_process.py), whose
    # workers cannot ask for them one by one. None: each is rendered when needed.
    write: Callable[[list[str]], None] | None = None


def engine_fingerprint(settings: SiteSettings, engine: Engine) -> bytes:
    """What the engine adds to the shape of every page it builds, besides the page's
    Markdown and caseload's own code: its name and version, the installed versions
    of the packages that convert and theme pages (and of Python, whose HTML parser
    Markdown uses), and the checked settings (mkdocs.yml), canonically serialized.
    So pages one engine made are never taken over by a build with the other."""
    versions = {name: _installed_version(name) for name in (engine.package, *_ENGINE_PACKAGES)}
    described = {"engine": engine.name, "versions": versions, "python": sys.version,
                 "settings": settings.values}
    text = json.dumps(described, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=repr)
    return hashlib.sha256(text.encode("utf-8")).digest()


@cache  # the code this process runs is the code it imported: ask once
def _installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def build_site(
    settings: SiteSettings,
    docs_dir: Path,
    site_dir: Path,
    *,
    site_name: str,
    nav: list[dict[str, str]],
    source_date_epoch: int,
    alike: AlikePages | None = None,
    warn: Warn | None = None,
) -> None:
    """Build ``docs_dir`` with ``settings`` and atomically replace ``site_dir``.

    ``nav`` lists the top-level pages only (e.g. ``[{"Roster": "roster.md"}]``);
    every other page is still built. ``alike`` pages are made around one shell
    page the engine builds, and those whose key is the same as in the previous
    build are taken from it as they are. ``warn`` is told, in one line each,
    whenever a faster way of building did not fit and a slower one was used.
    Raises :class:`SiteBuildError`.
    """
    config_file = Path(settings.path).absolute()
    docs_dir, site_dir = Path(docs_dir).absolute(), Path(site_dir).absolute()
    overrides = {"docs_dir": str(docs_dir), "site_name": site_name, "nav": nav}
    try:
        _check_layout(config_file, docs_dir, site_dir)
        _build_and_swap(settings, overrides, site_dir, source_date_epoch, alike,
                        warn or _no_warning)
    except OSError as exc:
        raise SiteBuildError(f"site build failed: {exc}") from exc


def _no_warning(line: str) -> None:
    pass


def _build_and_swap(
    settings: SiteSettings, overrides: dict[str, Any], site_dir: Path, epoch: int,
    alike: AlikePages | None, warn: Warn,
) -> None:
    staging = _make_private_dir(site_dir, "build")
    state: dict[str, Any] = {}
    try:
        if alike is not None and alike.keys:
            try:
                state = _build_with_shell(settings, overrides, staging, epoch, site_dir, alike,
                                          warn)
            except shell.ShellMismatch as exc:
                warn(f"client pages built by MkDocs one by one (slower): {exc}")
                shutil.rmtree(staging)
                staging.mkdir(mode=0o700)
                _write_sources(alike, Path(overrides["docs_dir"]) / alike.folder,
                               sorted(alike.keys))
                state = {}
        if not state:
            _run_mkdocs(settings, {**overrides, "site_dir": str(staging)}, epoch, warn)
        _check_references(staging, site_dir)
        identities = state.pop(_IDENTITIES, None)
        _finish_site(staging, state)
        _swap_in(staging, site_dir)
        if identities is not None:
            _note_identities(site_dir, identities)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_IDENTITIES = "identities"


def _note_identities(site_dir: Path, identities: dict[str, reuse.Written]) -> None:
    """Write down the page files' identities for the next build (reuse.py). Only a
    speed-up: when it cannot be written, the next build hashes what it reuses."""
    with suppress(OSError):
        reuse.write_identities(str(reuse.identities_file(site_dir)), identities)


def _build_with_shell(settings: SiteSettings, overrides: dict[str, Any], staging: Path, epoch: int,
                      site_dir: Path, alike: AlikePages, warn: Warn) -> dict[str, Any]:
    """The engine builds everything but the alike pages, plus their shell; we make the rest.

    A page is taken from the previous site instead when the frame around it and
    its key are the same as when it was made, every document it links to is
    still there, and it is still the file that build wrote (reuse.py).
    """
    folder = Path(overrides["docs_dir"]) / alike.folder
    stems = sorted(alike.keys)
    first = _write_sources(alike, folder, stems[:1])[0]
    expected = shell.front_matter(first)
    expected.pop("title", None)
    shell_source = folder / f"{shell.SHELL_STEM}.md"
    shell_text = shell.shell_markdown({**expected, "search": {"exclude": True}},
                                      first.read_text(encoding="utf-8"))
    shell_source.write_text(shell_text, encoding="utf-8")
    exclude = [f"/{alike.folder}/*.md", f"!/{alike.folder}/{shell.SHELL_STEM}.md"]
    try:
        built = _run_mkdocs(settings, {**overrides, "site_dir": str(staging)}, epoch, warn,
                            exclude=exclude)
    finally:
        shell_source.unlink()
    built_shell = staging / alike.folder / f"{shell.SHELL_STEM}.html"
    markdown_settings = _markdown_settings(built.config)
    frame = shell.Shell.parse(built_shell.read_text(encoding="utf-8"), markdown_settings,
                              shell_text)
    built_shell.unlink()
    links = _ShellLinks(built.config, built.files, alike.folder, alike.keys)
    previous = reuse.read_marker(str(site_dir / MARKER_NAME))
    recorded = previous.get("pages") if previous.get("shell") == frame.digest else None
    identities, vouched_before_ns = reuse.read_identities(str(reuse.identities_file(site_dir)))
    written: dict[str, reuse.Written] = {}
    jobs = []
    with reuse.Previous(str(site_dir / alike.folder), str(staging / alike.folder),
                        identities, vouched_before_ns) as old:
        for stem in stems:
            record = reuse.Recorded.of(recorded.get(stem)) if isinstance(recorded, dict) \
                else None
            taken = old.take(f"{stem}.html", record.written) \
                if record is not None and record.key == alike.keys[stem] \
                and links.still_there(record.written.links) else None
            if taken is not None:
                written[stem] = taken
            else:
                jobs.append((stem, folder / f"{stem}.md", staging / alike.folder / f"{stem}.html"))
    if alike.write is not None:  # written by the process that holds the caseload
        _write_sources(alike, folder, [stem for stem, _, _ in jobs])
    written.update(shell.make_pages(frame, markdown_settings, jobs, expected, alike.render,
                                    links.of, alike.progress))
    return {"shell": frame.digest,
            "pages": {stem: reuse.Recorded(alike.keys[stem], written[stem]).entry()
                      for stem in stems},
            # Not for the marker: written down once the new site is in place.
            _IDENTITIES: {f"{stem}.html": page for stem, page in written.items()}}


class _ShellLinks:
    """Links and images of the pages the shell makes, rewritten by MkDocs' own code.

    MkDocs makes a page's relative links to documents (``../roster.md#x``) and
    images into links to the built files, relative to the page. Its own tree
    processor does that here too, against the documents of the whole site as
    a build of every page would have them: the shell build's files, without the
    shell, with every alike page. Only what MkDocs rewrites without a word is
    left to it; for any link MkDocs would warn or tell about (no such document,
    an absolute link, one to an excluded file), the shell declines and MkDocs
    builds every page, so that its strict mode judges the link as always.
    """

    def __init__(self, config: MkDocsConfig, files: Files, folder: str,
                 stems: Collection[str]) -> None:
        self.config = config
        self.files = _SiteFiles(files, folder, stems, config)
        self.folder = folder

    def of(self, stem: str) -> shell.PageLinks:
        page = self.files.get_file_from_path(f"{self.folder}/{stem}.md")
        assert page is not None
        return _PageLinks(page, self.files, self.config)

    def still_there(self, targets: Collection[str]) -> bool:
        """True when every document a page linked to is still one of the site's."""
        return all(_linkable(self.files.get_file_from_path(t)) for t in targets)


def _linkable(file: File | None) -> bool:
    return file is not None and not file.inclusion.is_excluded()


class _SiteFiles(Files):
    """The files of a build of every page: the shell build's, with the alike pages
    in its folder (made on demand, there are thousands) in place of the shell."""

    def __init__(self, built: Files, folder: str, stems: Collection[str],
                 config: MkDocsConfig) -> None:
        super().__init__(f for f in built if posixpath.dirname(f.src_uri) != folder)
        self.folder, self.stems, self.config = folder, stems, config
        self.pages: dict[str, File] = {}

    def get_file_from_path(self, path: str) -> File | None:
        uri = PurePath(path).as_posix()
        folder, _, name = uri.rpartition("/")
        if folder != self.folder:
            return super().get_file_from_path(uri)
        stem = name.removesuffix(".md")
        if stem == name or stem not in self.stems:  # nothing else is in the folder
            return None
        page = self.pages.get(stem)
        if page is None:
            page = self.pages[stem] = File(uri, self.config.docs_dir, self.config.site_dir,
                                           self.config.use_directory_urls,
                                           inclusion=InclusionLevel.INCLUDED)
        return page


class _PageLinks(_RelativePathTreeprocessor):
    """MkDocs' rewriting of one page's links, for a link it rewrites without a word."""

    def __init__(self, file: File, files: Files, config: MkDocsConfig) -> None:
        super().__init__(file, files, config)
        self.targets: set[str] = set()

    def register(self, converter: markdown.Markdown) -> None:
        self._register(converter)

    def path_to_url(self, url: str) -> str:
        scheme, netloc, path, _, _ = urlsplit(url)
        if scheme or netloc:  # to another site: MkDocs leaves it as it is
            return url
        if url.startswith(("/", "\\")):
            raise shell.ShellMismatch(
                f"{self.file.src_uri} has an absolute link ('{url}'), which MkDocs judges "
                "by its settings")
        if AMP_SUBSTITUTE in url or not path:  # an e-mail address; a link within the page
            return super().path_to_url(url)
        target = self._target_uri(self.file.src_uri, unquote(path))
        if not _linkable(self.files.get_file_from_path(target)):
            raise shell.ShellMismatch(
                f"{self.file.src_uri} links to '{url}', which is not a document of the site")
        self.targets.add(target)
        return super().path_to_url(url)


def _write_sources(alike: AlikePages, folder: Path, stems: list[str]) -> list[Path]:
    """The Markdown of these alike pages in the docs folder, rendered if not there yet."""
    paths = [folder / f"{stem}.md" for stem in stems]
    missing = [stem for stem, path in zip(stems, paths, strict=True) if not path.exists()]
    if missing and alike.write is not None:
        alike.write(missing)
        return paths
    for stem in missing:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.md").write_text(alike.render(stem), encoding="utf-8")
    return paths


# --- MkDocs ---------------------------------------------------------------


@dataclass
class _Built:
    """What a build of the engine leaves for the shell: its settings and its files."""

    config: MkDocsConfig
    files: Files


def _run_mkdocs(settings: SiteSettings, overrides: dict[str, Any], epoch: int, warn: Warn,
                exclude: list[str] | None = None) -> _Built:
    with _source_date_epoch(epoch), _gzip_time_in_range(epoch), \
            _collect_mkdocs_log() as problems:
        tables: _PassThroughTables | None = None
        keep = _KeepFiles()
        try:
            config = _load_config(settings, overrides)
            _enforce_privacy(config)
            if exclude:
                config.exclude_docs = _with_exclusions(config.exclude_docs, exclude)
            # Added after the plugin check: ours are the only other plugins.
            if passthrough.applies_to(shell.converter_for(_markdown_settings(config))):
                tables = config.plugins[_TABLES_PLUGIN] = _PassThroughTables()
            config.plugins[_FILES_PLUGIN] = keep
            _run_build(config)
        except SiteBuildError:
            raise
        except Exception as exc:  # mkdocs' Abort is an Exception too
            raise _build_error(exc, problems) from exc
    if problems:  # strict mode should have caught these; be safe
        raise SiteBuildError(_summary(problems), tuple(problems))
    if tables is not None and tables.whole:
        warn(f"{_some(tables.whole)} converted with {_its(tables.whole)} long tables inside "
             f"MkDocs' Markdown (slower): an emptied table did not come back as it went in")
    assert keep.files is not None
    return _Built(config, keep.files)


def _some(names: list[str], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more pages" if more > 0 else "")


def _its(names: list[str]) -> str:
    return "its" if len(names) == 1 else "their"


def _markdown_settings(config: MkDocsConfig) -> shell.Settings:
    return shell.Settings(tuple(config.markdown_extensions), dict(config.mdx_configs))


class _PassThroughTables(BasePlugin):
    """Long HTML tables around MkDocs' Markdown rather than through it (passthrough.py).

    A page whose emptied tables do not come back as they went in is converted
    again, whole, by MkDocs' own `Page.render`: the very conversion it would
    have had without this plugin (every other plugin's Markdown changes came
    before ours). Only that page costs twice; `whole` names it.
    """

    def __init__(self) -> None:
        self.cuts: dict[str, tuple[str, passthrough.Cut]] = {}
        self.whole: list[str] = []

    @event_priority(-100)  # last: after anything else that changes the Markdown
    def on_page_markdown(self, markdown: str, /, *, page: Page, **_: Any) -> str:
        cut = passthrough.cut(markdown)
        self.cuts[page.file.src_uri] = (markdown, cut)
        return cut.markdown

    @event_priority(100)  # first: before anything else reads the HTML
    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files,
                        **_: Any) -> str:
        page.markdown, cut = self.cuts.pop(page.file.src_uri)
        try:
            return cut.restore(html)
        except passthrough.Mismatch:
            self.whole.append(page.file.src_uri)
            page.render(config, files)
            assert page.content is not None
            return page.content


class _KeepFiles(BasePlugin):
    """Keeps the build's files, as the pages were built against them."""

    def __init__(self) -> None:
        self.files: Files | None = None

    @event_priority(-100)  # last: the files as every other plugin left them
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.files = files
        return files


def _with_exclusions(current: Any, patterns: list[str]) -> Any:
    """The site's own `exclude_docs` patterns, and ours after them."""
    ours = config_options.PathSpec().run_validation("\n".join(patterns))
    existing = list(current.patterns) if current is not None else []
    return type(ours)(existing + list(ours.patterns))


def _load_config(settings: SiteSettings, overrides: dict[str, Any]) -> MkDocsConfig:
    """What ``mkdocs.config.load_config`` does, but from checked plain data: no file read."""
    config = MkDocsConfig(config_file_path=settings.path)
    config.load_dict(copy.deepcopy(settings.values))  # validation changes what it is given
    config.load_dict({"strict": True, "use_directory_urls": False, **overrides})
    errors, warnings = config.validate()
    log = logging.getLogger(f"{_LOGGER_NAME}.config")
    for name, warning in warnings:
        log.warning(f"Config value '{name}': {warning}")
    for name, error in errors:
        log.error(f"Config value '{name}': {error}")
    if errors or (config.strict and warnings):
        raise Abort("Aborted with a configuration error!")
    config.validation.nav.omitted_files = logging.DEBUG  # = "ignore"
    return config


def _run_build(config: MkDocsConfig) -> None:
    config.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build(config)
    finally:
        config.plugins.on_shutdown()


def _enforce_privacy(config: MkDocsConfig) -> None:
    """Force off everything that would load or link to another host."""
    if config.theme.name != "material":
        raise SiteBuildError(f"theme must be 'material', not {config.theme.name!r}")
    refused = sorted(set(config.plugins) - _ALLOWED_PLUGINS)
    if refused:
        raise SiteBuildError(f"plugins not allowed in the caseload site: {', '.join(refused)}")
    config.theme["font"] = False
    for key in _FORCED_OFF_EXTRA:
        config.extra.pop(key, None)
    config.extra["polyfills"] = []
    config.extra["generator"] = False
    config.site_url = None
    config.repo_url = config.repo_name = config.edit_uri = None
    _refuse_remote(config)


def _refuse_remote(config: MkDocsConfig) -> None:
    theme = config.theme
    candidates = [str(p) for p in config.extra_css]
    candidates += [str(p) for p in config.extra_javascript]
    candidates += [str(theme[k]) for k in ("logo", "favicon") if theme.get(k)]
    remote = [c for c in candidates if _is_remote(c)]
    if remote:
        raise SiteBuildError(f"remote assets are not allowed: {', '.join(remote)}")


def _is_remote(url: str) -> bool:
    lowered = url.strip().lower()
    return lowered.startswith("//") or "://" in lowered or references.is_external(url)


# --- Logging and environment ----------------------------------------------


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(_one_line(record.getMessage()))


@contextmanager
def _collect_mkdocs_log() -> Iterator[list[str]]:
    """Keep MkDocs quiet and hand back its warnings and errors.

    Propagation is cut so nothing reaches the root logger (and stdout or
    stderr); the level is pinned to WARNING so strict mode always counts.
    """
    loggers = [logging.getLogger(name) for name in _LOGGER_NAMES]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    collector = _Collector()
    for logger in loggers:
        logger.addHandler(collector)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        yield collector.messages
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(collector)
            logger.setLevel(level)
            logger.propagate = propagate


@contextmanager
def _source_date_epoch(epoch: int) -> Iterator[None]:
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


_GZIP_TIME_LIMIT = 2 ** 32  # a gzip header holds its MTIME in 32 bits: up to 2106-02-07


class _UndatedGzip:
    """`gzip` as MkDocs' build sees it when the build's date does not fit a gzip header:
    the header then says "no time stamp" (MTIME 0, as RFC 1952 allows)."""

    @staticmethod
    def GzipFile(*args: Any, **kwargs: Any) -> gzip.GzipFile:  # named as gzip names it
        if int(kwargs.get("mtime") or 0) >= _GZIP_TIME_LIMIT:
            kwargs["mtime"] = 0
        return gzip.GzipFile(*args, **kwargs)


@contextmanager
def _gzip_time_in_range(epoch: int) -> Iterator[None]:
    """MkDocs stamps sitemap.xml.gz with the build's date; from 2106-02-08 on that
    overflows the gzip header and the build would fail. Earlier dates are left to
    MkDocs untouched, so their sites stay byte-identical."""
    if epoch < _GZIP_TIME_LIMIT:
        yield
        return
    module: Any = mkdocs.commands.build
    saved = module.gzip
    module.gzip = _UndatedGzip
    try:
        yield
    finally:
        module.gzip = saved


def _build_error(exc: BaseException, problems: list[str]) -> SiteBuildError:
    if problems:
        return SiteBuildError(_summary(problems), tuple(problems))
    if isinstance(exc, MkDocsException):  # about the configuration, not the caseload
        return SiteBuildError(f"site build failed: {type(exc).__name__}: {exc}")
    # Anything else may quote page text, which is client data: name the type only.
    return SiteBuildError(f"site build failed: {type(exc).__name__}")


def _summary(problems: list[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"site build failed: {problems[0]}{more}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- Files and folders -----------------------------------------------------


def _check_layout(config_file: Path, docs_dir: Path, site_dir: Path) -> None:
    """Refuse layouts where replacing ``site_dir`` would destroy inputs."""
    site = site_dir.resolve()
    for name, path in (("docs folder", docs_dir), ("configuration", config_file)):
        resolved = path.resolve()
        if resolved == site or resolved.is_relative_to(site) or site.is_relative_to(resolved):
            raise SiteBuildError(f"site folder {site_dir} overlaps the {name} {path}")
    if site_dir.is_symlink() or (site_dir.exists() and not site_dir.is_dir()):
        raise SiteBuildError(f"site folder {site_dir} is not a plain folder")
    if _is_foreign(site_dir):
        raise SiteBuildError(f"refusing to replace {site_dir}: not empty and not built by caseload")


def _is_foreign(site_dir: Path) -> bool:
    """True for an existing non-empty folder without our marker file."""
    if not site_dir.is_dir() or (site_dir / MARKER_NAME).is_file():
        return False
    return any(site_dir.iterdir())


def make_site_parent(site_dir: Path) -> None:
    """Create the folders that will hold ``site_dir``, owner-only (0700), as needed.

    SiteBuildError, one line, when that cannot be done (a parent that is a file,
    a folder one may not write in).
    """
    try:
        make_private_folders(site_dir.parent)
    except OSError as exc:
        raise SiteBuildError(f"cannot create {exc.filename or site_dir.parent}: "
                             f"{exc.strerror or exc}") from None
    if not site_dir.parent.is_dir():
        raise SiteBuildError(f"cannot create {site_dir}: {site_dir.parent} is not a folder")


def _make_private_dir(site_dir: Path, purpose: str) -> Path:
    """Create an owner-only (0o700) sibling of ``site_dir``."""
    make_site_parent(site_dir)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.{purpose}-", dir=site_dir.parent))
    except OSError as exc:
        raise SiteBuildError(f"cannot create a folder next to {site_dir}: "
                             f"{exc.strerror or exc}") from exc


_SCANNED = "references"  # the marker's record of the scanner the site passed


def _check_references(staging: Path, site_dir: Path) -> None:
    """Refuse a site that would load anything from, or link to, another place.

    Files the build took over from the previous site unchanged (hard links, or the
    same bytes) are not read again when that site passed this same scan.
    """
    previous = site_dir if _marker(site_dir).get(_SCANNED) == references.scanner_id() else None
    found = references.external_references(staging, previous)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise SiteBuildError(
            f"site build failed: {found[0].path} refers outside the site, to "
            f"{found[0].host}{more}; a caseload site loads nothing from elsewhere and links "
            "nowhere else (look at the workspace's templates/)")


def _marker(site_dir: Path) -> dict[str, Any]:
    try:
        marker = json.loads((site_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _finish_site(staging: Path, state: dict[str, Any]) -> None:
    """Add the file:// search index and the marker; make everything owner-only.

    The marker says the folder is ours, and records what the alike pages were
    made from, so that the next build can take the unchanged ones as they are,
    and which reference scan the site passed. It is written last: a staging
    folder with a marker is a complete site (see `recover_site`).
    """
    index = staging / "search" / "search_index.json"
    if index.is_file():
        data = index.read_text(encoding="utf-8")
        (staging / "search" / "search_index.js").write_text(
            f"var __index = {data};\n", encoding="utf-8"
        )
    make_private(staging)
    marker = {"about": _MARKER_TEXT.strip(), **state, _SCANNED: references.scanner_id()}
    temporary = staging / f"{MARKER_NAME}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(marker, sort_keys=True) + "\n")
    os.replace(temporary, staging / MARKER_NAME)


def _swap_in(staging: Path, site_dir: Path) -> None:
    """Rename the old site away, the new one in, then delete the old one."""
    if not site_dir.exists():
        _rename(staging, site_dir)
        return
    holder = _make_private_dir(site_dir, "old")
    old = holder / site_dir.name
    try:
        _rename(site_dir, old)
    except SiteBuildError:
        holder.rmdir()
        raise
    try:
        _rename(staging, site_dir)
    except SiteBuildError:
        os.rename(old, site_dir)  # put the previous site back; keep holder if this fails
        holder.rmdir()
        raise
    shutil.rmtree(holder, ignore_errors=True)


def _rename(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except OSError as exc:
        raise SiteBuildError(f"cannot move {source} to {target}: {exc}") from exc


# --- After a killed build ----------------------------------------------------------

_TEMPORARY_PART = re.compile(r"[a-z0-9_]{8}")  # what tempfile.mkdtemp adds to a prefix


def leftovers(site_dir: Path, purpose: str) -> list[Path]:
    """The folders ``.SITE.PURPOSE-XXXXXXXX`` beside ``site_dir`` (made by
    `_make_private_dir`), oldest first."""
    prefix = f".{site_dir.name}.{purpose}-"
    try:
        entries = list(os.scandir(site_dir.parent))
    except OSError:
        return []
    found = [(entry.stat(follow_symlinks=False).st_mtime_ns, Path(entry.path))
             for entry in entries if entry.name.startswith(prefix)
             and _TEMPORARY_PART.fullmatch(entry.name[len(prefix):])
             and entry.is_dir(follow_symlinks=False)]
    return [path for _, path in sorted(found)]


def recover_site(site_dir: Path, also: tuple[str, ...] = ()) -> str | None:
    """Finish what a killed build left beside ``site_dir``; call with its lock held.

    A build killed between the two renames of its swap leaves no site at all: the
    new, complete site (a staging folder with its marker, written last) is moved
    in, or else the previous one (kept in ``.SITE.old-*``) is put back. Then every
    staging and old folder is deleted (and those named ``.SITE.ALSO-*``): each
    holds a copy of the caseload. Returns what was put in place ("new",
    "previous") or None.
    """
    site_dir = Path(site_dir).absolute()
    restored = None
    if not os.path.lexists(site_dir):
        complete = [path for path in leftovers(site_dir, "build")
                    if (path / MARKER_NAME).is_file()]
        previous = [path / site_dir.name for path in leftovers(site_dir, "old")
                    if (path / site_dir.name / MARKER_NAME).is_file()]
        for candidate, what in ((complete, "new"), (previous, "previous")):
            if candidate:
                _rename(candidate[-1], site_dir)
                restored = what
                break
    for purpose in ("build", "old", *also):
        for path in leftovers(site_dir, purpose):
            shutil.rmtree(path, ignore_errors=True)
    return restored
