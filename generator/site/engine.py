"""Static-site build layer: the only module that knows about MkDocs.

The rest of caseload renders Markdown into a docs folder and calls
:func:`build_site`; swapping MkDocs for another engine (ProperDocs, Zensical,
...) means rewriting this module only.

Decisions (MkDocs 1.6 + Material for MkDocs 9.x):

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
  Should a table not come back as it went in, MkDocs builds again without it.

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
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mkdocs.commands.build
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import config_options
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, MkDocsException
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.pages import Page

from generator.errors import SiteBuildError
from generator.model.site import SiteSettings
from generator.private import FILE_MODE, make_private, make_private_folders
from generator.site import passthrough, references, shell

__all__ = ["SiteBuildError", "build_site"]

MARKER_NAME = ".caseload-site"
_MARKER_TEXT = "Built by caseload. This whole folder is replaced on every build.\n"
_ALLOWED_PLUGINS = frozenset({"search", "material/search"})
_FORCED_OFF_EXTRA = ("analytics", "consent", "social", "alternate", "version")
_LOGGER_NAME = "mkdocs"
_TABLES_PLUGIN = "caseload/passthrough-tables"


@dataclass(frozen=True)
class AlikePages:
    """Pages too many and too alike to draw one by one through the theme (see shell.py).

    They all sit in `folder`, share their front matter (but the title) and their
    section headings, stay out of the nav, and are linked to as .html pages.
    """

    folder: str
    keys: Mapping[str, str]  # page stem -> a digest of everything the page shows
    render: Callable[[str], str]  # page stem -> its Markdown, asked for only when needed
    progress: shell.Progress | None = None


def build_site(
    settings: SiteSettings,
    docs_dir: Path,
    site_dir: Path,
    *,
    site_name: str,
    nav: list[dict[str, str]],
    source_date_epoch: int,
    alike: AlikePages | None = None,
) -> None:
    """Build ``docs_dir`` with ``settings`` and atomically replace ``site_dir``.

    ``nav`` lists the top-level pages only (e.g. ``[{"Roster": "roster.md"}]``);
    every other page is still built. ``alike`` pages are made around one shell
    page the engine builds, and those whose key is the same as in the previous
    build are taken from it as they are. Raises :class:`SiteBuildError`.
    """
    config_file = Path(settings.path).absolute()
    docs_dir, site_dir = Path(docs_dir).absolute(), Path(site_dir).absolute()
    overrides = {"docs_dir": str(docs_dir), "site_name": site_name, "nav": nav}
    try:
        _check_layout(config_file, docs_dir, site_dir)
        _build_and_swap(settings, overrides, site_dir, source_date_epoch, alike)
    except OSError as exc:
        raise SiteBuildError(f"site build failed: {exc}") from exc


def _build_and_swap(
    settings: SiteSettings, overrides: dict[str, Any], site_dir: Path, epoch: int,
    alike: AlikePages | None,
) -> None:
    staging = _make_private_dir(site_dir, "build")
    state: dict[str, Any] = {}
    try:
        if alike is not None and alike.keys:
            try:
                state = _build_with_shell(settings, overrides, staging, epoch, site_dir, alike)
            except shell.ShellMismatch:
                shutil.rmtree(staging)
                staging.mkdir(mode=0o700)
                _write_sources(alike, Path(overrides["docs_dir"]) / alike.folder,
                               sorted(alike.keys))
                state = {}
        if not state:
            _run_mkdocs(settings, {**overrides, "site_dir": str(staging)}, epoch)
        _check_references(staging, site_dir)
        _finish_site(staging, state)
        _swap_in(staging, site_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build_with_shell(settings: SiteSettings, overrides: dict[str, Any], staging: Path, epoch: int,
                      site_dir: Path, alike: AlikePages) -> dict[str, Any]:
    """The engine builds everything but the alike pages, plus their shell; we make the rest."""
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
        config = _run_mkdocs(settings, {**overrides, "site_dir": str(staging)}, epoch,
                             exclude=exclude)
    finally:
        shell_source.unlink()
    built_shell = staging / alike.folder / f"{shell.SHELL_STEM}.html"
    markdown = _markdown_settings(config)
    frame = shell.Shell.parse(built_shell.read_text(encoding="utf-8"), markdown, shell_text)
    built_shell.unlink()
    previous = _previous_state(site_dir)
    reusable = previous.get("shell") == frame.digest
    jobs = []
    for stem in stems:
        target = staging / alike.folder / f"{stem}.html"
        old = site_dir / alike.folder / f"{stem}.html"
        if reusable and previous["pages"].get(stem) == alike.keys[stem] and old.is_file():
            _link_or_copy(old, target)
        else:
            jobs.append((stem, folder / f"{stem}.md", target))
    shell.make_pages(frame, markdown, jobs, expected, alike.render, alike.progress)
    return {"shell": frame.digest, "pages": dict(alike.keys)}


def _write_sources(alike: AlikePages, folder: Path, stems: list[str]) -> list[Path]:
    """The Markdown of these alike pages in the docs folder, rendered if not there yet."""
    paths = []
    for stem in stems:
        path = folder / f"{stem}.md"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(alike.render(stem), encoding="utf-8")
        paths.append(path)
    return paths


def _previous_state(site_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((site_dir / MARKER_NAME).read_text(encoding="utf-8"))
        return state if isinstance(state.get("pages"), dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _link_or_copy(source: Path, target: Path) -> None:
    # Neither site ever writes into these files again, so sharing them is safe.
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


# --- MkDocs ---------------------------------------------------------------


def _run_mkdocs(settings: SiteSettings, overrides: dict[str, Any], epoch: int,
                exclude: list[str] | None = None) -> MkDocsConfig:
    try:
        return _run_mkdocs_once(settings, overrides, epoch, exclude, cut_tables=True)
    except passthrough.Mismatch:
        # The site's Markdown did not give an emptied table back as it was.
        return _run_mkdocs_once(settings, overrides, epoch, exclude, cut_tables=False)


def _run_mkdocs_once(settings: SiteSettings, overrides: dict[str, Any], epoch: int,
                     exclude: list[str] | None, *, cut_tables: bool) -> MkDocsConfig:
    with _source_date_epoch(epoch), _gzip_time_in_range(epoch), \
            _collect_mkdocs_log() as problems:
        try:
            config = _load_config(settings, overrides)
            _enforce_privacy(config)
            if exclude:
                config.exclude_docs = _with_exclusions(config.exclude_docs, exclude)
            if cut_tables and passthrough.applies_to(
                    shell.converter_for(_markdown_settings(config))):
                # Added after the plugin check: ours is the only other plugin.
                config.plugins[_TABLES_PLUGIN] = _PassThroughTables()
            _run_build(config)
        except (SiteBuildError, passthrough.Mismatch):
            raise
        except Exception as exc:  # mkdocs' Abort is an Exception too
            raise _build_error(exc, problems) from exc
    if problems:  # strict mode should have caught these; be safe
        raise SiteBuildError(_summary(problems), tuple(problems))
    return config


def _markdown_settings(config: MkDocsConfig) -> shell.Settings:
    return shell.Settings(tuple(config.markdown_extensions), dict(config.mdx_configs))


class _PassThroughTables(BasePlugin):
    """Long HTML tables around MkDocs' Markdown rather than through it (passthrough.py)."""

    def __init__(self) -> None:
        self.cuts: dict[str, tuple[str, passthrough.Cut]] = {}

    @event_priority(-100)  # last: after anything else that changes the Markdown
    def on_page_markdown(self, markdown: str, /, *, page: Page, **_: Any) -> str:
        cut = passthrough.cut(markdown)
        self.cuts[page.file.src_uri] = (markdown, cut)
        return cut.markdown

    @event_priority(100)  # first: before anything else reads the HTML
    def on_page_content(self, html: str, /, *, page: Page, **_: Any) -> str:
        page.markdown, cut = self.cuts.pop(page.file.src_uri)
        return cut.restore(html)


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
    logger = logging.getLogger(_LOGGER_NAME)
    saved = (logger.level, logger.propagate)
    collector = _Collector()
    logger.addHandler(collector)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


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
