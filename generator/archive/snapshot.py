"""`caseload snapshot` and `caseload verify`: dated, verifiable copies of the report.

A snapshot is the folder `snapshots/<as-of>/` of a workspace:

    site/           the built site, as `caseload build` makes it
    docs/           the Markdown it was built from
    report.json     the `check --format json` document
    .gitattributes  `* -text ...`: git stores and checks out these bytes unchanged
                    (no CRLF conversion on a Windows clone, no filters)
    manifest.json   tool version, as-of date, every payer's effective policy, and the
                    SHA-256 and size of every input file and of every file above

Nothing in it depends on the clock or on where the workspace lives: the same
input and date give the same bytes. The folder is built in a private staging
folder and renamed into place only when complete; then it is committed alone
(whatever else is staged stays staged) and tagged `snapshot-<as-of>`, the tag
message holding the manifest's SHA-256; with `sign`, git signs the tag with the
user's key. Every precondition is checked before anything is written (a signing
key too), and any failure leaves no folder (and no commit) behind.
Snapshots are evidence: an existing folder or tag is never replaced.

`verify` checks the files against the manifest, and in git: the tag, its
signature, the manifest hash in its message, that no later commit changed the
folder, and that the files on disk are the tagged commit's. It reads regular
files only, never waiting on a FIFO or a device.

Git is driven through its command line, one argument list per call, never a shell.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__, regularfile
from generator.archive import staging as staging_folders
from generator.archive.changes import PAGE as CHANGES_PAGE
from generator.archive.changes import InvalidReport, compare, render_changes
from generator.archive.signing import GOOD, UNSIGNED, check_tag_signature, signing_problem
from generator.model.audit import AUDITS_DIR
from generator.model.policy import SETTINGS, policy_for_payer
from generator.model.records import DATE_PATTERN
from generator.model.site import SiteSettings
from generator.private import make_private
from generator.report.report import Report, report_json
from generator.rules.audit import Audit
from generator.site import build as site_build
from generator.wording import printable

SNAPSHOTS_DIR = "snapshots"
MANIFEST = "manifest.json"
REPORT = "report.json"
SITE = "site"
DOCS = "docs"
ATTRIBUTES = ".gitattributes"
# Git must keep a snapshot's bytes as they are: no end-of-line conversion (a Windows
# clone has core.autocrlf=true), no filters, no $Id$ expansion, no re-encoding.
ATTRIBUTES_TEXT = (b"# caseload: this snapshot is evidence; git keeps its bytes unchanged.\n"
                   b"* -text -eol -filter -ident -working-tree-encoding\n")
TAG_PREFIX = "snapshot-"
MANIFEST_KIND = "caseload snapshot"
MANIFEST_VERSION = 1
INPUT_DIRS = ("content", "site_config", "templates")
INPUT_FILES = ("mkdocs.yml",)
SKIPPED_DIRS = frozenset({"__pycache__"})  # Python's byte code, never an input
_TAG_HASH = re.compile(r"^manifest\.json sha256: ([0-9a-f]{64})$", re.MULTILINE)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class SnapshotError(Exception):
    """A snapshot that cannot be taken or read; the message is one line for the user."""


class InvalidSnapshot(SnapshotError):
    """A folder that is not a readable, intact snapshot."""


class UnreadableSnapshot(InvalidSnapshot):
    """A file of a snapshot that cannot be read at all: missing, not a regular file
    (a FIFO, a device, a socket, a link), or refused by the system. `verify` and
    `diff` exit 2 with the message, `FILE:1: why`."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}:1: {reason}")


# --- files and hashes ----------------------------------------------------------------


@contextlib.contextmanager
def open_regular(path: Path, missing: str = "missing", *, follow: bool = False
                 ) -> Iterator[io.BufferedReader]:
    """`path` opened for reading if it is a regular file; UnreadableSnapshot otherwise.

    Never blocks (see `generator.regularfile`): a FIFO, a device or a socket is
    refused without being read, and a link too unless `follow`.
    """
    try:
        with regularfile.open_regular(path, follow=follow) as handle:
            yield handle
    except FileNotFoundError:
        raise UnreadableSnapshot(path, missing) from None
    except regularfile.NotRegularFile as exc:
        raise UnreadableSnapshot(path, str(exc)) from None
    except OSError as exc:
        raise UnreadableSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None


def read_regular(path: Path, missing: str = "missing") -> bytes:
    """The bytes of the regular file `path` (not a link); UnreadableSnapshot otherwise."""
    try:
        with open_regular(path, missing) as handle:
            return handle.read()
    except OSError as exc:
        raise UnreadableSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None


def file_entry(path: Path, *, follow: bool = True) -> dict[str, Any]:
    """SHA-256 and size of a regular file; UnreadableSnapshot for anything else."""
    try:
        with open_regular(path, follow=follow) as handle:
            digest = hashlib.file_digest(handle, "sha256")
            return {"sha256": digest.hexdigest(), "size": handle.tell()}
    except OSError as exc:
        raise UnreadableSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None


def _walk(root: Path, skip: frozenset[str] = frozenset(), *, folder_links: bool = False
          ) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, path) of every file below `root`, sorted.

    Links to folders are never followed; with `folder_links` they are listed
    themselves, so that `verify` can name one that was slipped into a snapshot.
    """
    found = []
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        names = list(filenames)
        if folder_links:
            names += [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in skip]
        found += [((here / name).relative_to(root).as_posix(), here / name) for name in names]
    yield from sorted(found)


def input_files(workspace: Path) -> dict[str, dict[str, Any]]:
    """SHA-256 and size of every input of the report: content, policies, templates, site
    config, audit requests."""
    entries: dict[str, dict[str, Any]] = {}
    try:
        for name in INPUT_DIRS:
            if (workspace / name).is_dir():
                for rel, path in _walk(workspace / name, SKIPPED_DIRS):
                    entries[f"{name}/{rel}"] = file_entry(path)
        for name in INPUT_FILES:
            if (workspace / name).is_file():
                entries[name] = file_entry(workspace / name)
        # Audit requests: the files directly in audits/ (not the packets built below it).
        audits = workspace / AUDITS_DIR
        if audits.is_dir():
            for path in sorted(audits.iterdir()):
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    entries[f"{AUDITS_DIR}/{path.name}"] = file_entry(path)
    except (OSError, UnreadableSnapshot) as exc:
        raise SnapshotError(f"cannot read an input file: {exc}") from None
    return dict(sorted(entries.items()))


def policies(report: Report) -> list[dict[str, Any]]:
    """The effective policy of clients with no payer, then of every payer, with its layers."""
    caseload = report.caseload
    out = []
    for payer_id in (None, *sorted(caseload.payers)):
        policy = policy_for_payer(caseload, payer_id)
        out.append({
            "payer": payer_id,
            "name": caseload.payers[payer_id].name if payer_id else None,
            "settings": {s.key: {"value": _json_value(policy[s.key]),
                                 "layer": policy.layers[s.key]}
                         for s in SETTINGS},
        })
    return out


def _json_value(value: Any) -> Any:
    """A policy value as JSON keeps it: a day as its ISO text."""
    return value.isoformat() if isinstance(value, date) else value


def manifest_document(report: Report, inputs: dict[str, Any], files: dict[str, Any]
                      ) -> dict[str, Any]:
    return {
        "kind": MANIFEST_KIND,
        "manifest_version": MANIFEST_VERSION,
        "tool": "caseload",
        "tool_version": __version__,
        "as_of": report.as_of.isoformat(),
        "practice": report.caseload.practice_name,
        "policies": policies(report),
        "inputs": inputs,
        "files": files,
    }


def dumps(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tag_name(as_of: date | str) -> str:
    return f"{TAG_PREFIX}{as_of if isinstance(as_of, str) else as_of.isoformat()}"


# --- git -----------------------------------------------------------------------------


class GitFailed(SnapshotError):
    pass


@dataclass(frozen=True)
class Git:
    """The git command line, run in `cwd`; every call one argument list, never a shell."""

    cwd: Path

    def run(self, *args: str, check: bool = True, stdin: str | None = None,
            interactive: bool = False) -> subprocess.CompletedProcess[str]:
        """Git's output as text; `interactive` leaves git the terminal (for a passphrase)."""
        env = None
        if interactive and "GPG_TTY" not in os.environ:
            with contextlib.suppress(OSError, AttributeError, ValueError):
                if sys.stdin is not None and os.isatty(0):
                    env = {**os.environ, "GPG_TTY": os.ttyname(0)}  # where gpg asks
        try:
            result = subprocess.run(
                ["git", *args], cwd=self.cwd, input=stdin, capture_output=True, text=True,
                encoding="utf-8", errors="replace", check=False, env=env,
                stdin=None if stdin is not None or interactive else subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitFailed("git is not installed (or not on the PATH)") from None
        except OSError as exc:
            raise GitFailed(f"cannot run git: {exc}") from None
        if check and result.returncode != 0:
            raise GitFailed(f"git {args[0]} failed: {_last_line(result.stderr)}")
        return result

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def toplevel(self) -> Path | None:
        result = self.run("rev-parse", "--show-toplevel", check=False)
        return Path(result.stdout.strip()) if result.returncode == 0 else None

    def head(self) -> str | None:
        result = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def has_tag(self, name: str) -> bool:
        return self.ok("rev-parse", "-q", "--verify", f"refs/tags/{name}")

    def config(self, name: str) -> str | None:
        result = self.run("config", "--get", name, check=False)
        return result.stdout.rstrip("\n") if result.returncode == 0 else None

    def blobs(self, ids: list[str]) -> list[bytes | None]:
        """The bytes of each blob (None where there is none), through one `cat-file --batch`."""
        if not ids:
            return []
        try:
            result = subprocess.run(
                ["git", "cat-file", "--batch"], cwd=self.cwd, capture_output=True, check=False,
                input="".join(f"{blob_id}\n" for blob_id in ids).encode("ascii"))
        except OSError as exc:
            raise GitFailed(f"cannot run git: {exc}") from None
        if result.returncode != 0:
            raise GitFailed("git cat-file failed: "
                            f"{_last_line(result.stderr.decode('utf-8', 'replace'))}")
        out, at = result.stdout, 0
        found: list[bytes | None] = []
        for _ in ids:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            at = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                found.append(out[at:at + size])
                at += size + 1
            elif len(header) == 3:  # another kind of object: skip its content
                at += int(header[2]) + 1
                found.append(None)
            else:
                found.append(None)  # "<id> missing"
        return found


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _repository(workspace: Path, *, required: bool) -> Git | None:
    git = Git(workspace)
    try:
        result = git.run("rev-parse", "--show-toplevel", check=False)
    except GitFailed as exc:
        if required:
            raise SnapshotError(f"{exc}; install git, or take the snapshot with --no-commit") \
                from None
        return None
    if result.returncode != 0:
        if required:
            raise SnapshotError(
                f"{workspace.resolve()} is not inside a git repository "
                f"({_last_line(result.stderr)}); "
                "run `git init` there, or take the snapshot with --no-commit")
        return None
    return git


def _check_identity(git: Git) -> None:
    for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if not git.ok("-c", "user.useConfigOnly=true", "var", variable):
            raise SnapshotError(
                "git has no identity to commit the snapshot with: set one with "
                "`git config user.name \"Your Name\"` and `git config user.email you@example.org`"
                " (or take the snapshot with --no-commit)")


def _check_git_is_free(git: Git, rel: str, tag: str) -> None:
    if git.has_tag(tag):
        raise SnapshotError(f"git tag {tag} already exists: a snapshot of that date was taken "
                            "before, and snapshots are never overwritten")
    tracked = git.out("ls-files", "-z", "--", rel)
    if not tracked and git.head():
        tracked = git.out("ls-tree", "-r", "--name-only", "-z", "HEAD", "--", rel)
    if tracked:
        raise SnapshotError(f"{rel} is already in git (restore it with `git checkout -- {rel}`); "
                            "snapshots are never overwritten")


def _check_signing(git: Git) -> None:
    problem = signing_problem(git)
    if problem is not None:
        raise SnapshotError(f"cannot sign the tag: {problem}")


def _commit(git: Git, rel: str, tag: str, commit_message: str, tag_message: str,
            sign: bool = False) -> str:
    """Commit the folder alone, tag it; on failure undo both and unstage the folder."""
    parent = git.head()
    commit = None
    try:
        git.run("add", "-f", "--", rel)
        git.run("commit", "-q", "--no-edit", "-m", commit_message, "--", rel)
        commit = git.out("rev-parse", "HEAD")
        _tag(git, tag, tag_message, commit, sign)
        return commit
    except BaseException:
        _undo(git, rel, parent, commit, commit_message)
        raise


def _tag(git: Git, tag: str, message: str, commit: str, sign: bool = False) -> None:
    """An annotated tag, signed by git with the user's key when `sign`, and only then
    (`--no-sign` overrides a `tag.gpgSign` setting)."""
    if not sign:
        git.run("tag", "-a", "--no-sign", "-m", message, tag, commit)
        return
    result = git.run("tag", "-s", "-m", message, tag, commit, check=False, interactive=True)
    said = "; ".join(line.strip() for line in result.stderr.splitlines() if line.strip())[:300]
    if result.returncode != 0:
        raise GitFailed(f"git could not sign tag {tag} ({said or 'no message'})")
    # Some versions of git (2.39 among them) make the tag unsigned, and exit 0, when
    # ssh-keygen fails: a tag without a signature is a failure here.
    signature = git.run("for-each-ref", "--format=%(contents:signature)", f"refs/tags/{tag}",
                        check=False).stdout
    if not signature.strip():
        git.run("tag", "-d", tag, check=False)
        raise GitFailed(f"git could not sign tag {tag} ({said or 'it holds no signature'})")


def _undo(git: Git, rel: str, parent: str | None, commit: str | None, message: str) -> None:
    """Best effort: take back our commit (only if HEAD still is it) and unstage the folder."""
    try:
        head = git.head()
        if commit is None and head is not None and head != parent:
            # Interrupted between `git commit` and reading HEAD: is HEAD our commit?
            ours = git.run("log", "-1", "--format=%B", head, check=False).stdout
            if ours.strip() == message.strip():
                commit = head
        if commit is not None and head == commit:
            if parent is None:
                git.run("update-ref", "-d", "HEAD", commit, check=False)
            else:
                git.run("update-ref", "-m", "caseload snapshot: undo", "HEAD", parent, commit,
                        check=False)
        git.run("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", rel, check=False)
    except GitFailed:
        pass


# --- taking a snapshot ---------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    folder: Path
    files: int  # listed in the manifest (all but manifest.json itself)
    manifest_sha256: str
    previous: date | None
    commit: str | None = None
    tag: str | None = None
    signed: bool = False


def snapshot_dates(snapshots: Path) -> list[date]:
    """The dates of the snapshot folders in `snapshots/`, oldest first."""
    if not snapshots.is_dir():
        return []
    found = []
    for entry in snapshots.iterdir():
        if DATE_PATTERN.fullmatch(entry.name) and entry.is_dir():
            try:
                found.append(date.fromisoformat(entry.name))
            except ValueError:
                continue
    return sorted(found)


def previous_snapshot(workspace: Path, as_of: date) -> Path | None:
    """The latest snapshot dated before `as_of`, if any."""
    earlier = [d for d in snapshot_dates(workspace / SNAPSHOTS_DIR) if d < as_of]
    return workspace / SNAPSHOTS_DIR / earlier[-1].isoformat() if earlier else None


def take_snapshot(report: Report, workspace: Path, *, settings: SiteSettings,
                  commit: bool = True, sign: bool = False,
                  progress: site_build.Progress | None = None,
                  warn: site_build.Warn | None = None,
                  audits: tuple[Audit, ...] = ()) -> Taken:
    """Build the report into `workspace/snapshots/<as-of>/`, then commit and tag it
    (a tag signed with the user's key when `sign`); `warn` hears of a slower build."""
    name = report.as_of.isoformat()
    rel = f"{SNAPSHOTS_DIR}/{name}"
    snapshots = workspace / SNAPSHOTS_DIR
    final = snapshots / name
    tag = tag_name(report.as_of)

    # Every precondition first: nothing is written unless all of them hold.
    if snapshots.is_symlink() or (snapshots.exists() and not snapshots.is_dir()):
        raise SnapshotError(f"{snapshots} is not a plain folder")
    if final.exists() or final.is_symlink():
        raise SnapshotError(f"{rel} already exists: snapshots are evidence and are never "
                            "overwritten (use another --as-of date)")
    if sign and not commit:
        raise SnapshotError("--sign signs the snapshot's tag, and --no-commit makes none: "
                            "use one or the other")
    git = _repository(workspace, required=commit)
    if git is not None and commit:
        _check_identity(git)
        _check_git_is_free(git, rel, tag)
        if sign:
            _check_signing(git)
    elif git is not None and git.has_tag(tag):
        raise SnapshotError(f"git tag {tag} already exists: a snapshot of that date was taken "
                            "before, and snapshots are never overwritten")
    current = report_json(report)
    extra_pages, previous = _changes_page(workspace, report, current)
    inputs = input_files(workspace)

    created = not snapshots.exists()
    try:
        snapshots.mkdir(mode=0o700, exist_ok=True)
        staging = staging_folders.make_staging(snapshots, name)
    except OSError as exc:
        raise SnapshotError(f"cannot create a folder in {snapshots}: {exc}") from None
    try:
        site_build.build(report, workspace, staging / SITE, settings=settings,
                         docs_keep=staging / DOCS, extra_pages=extra_pages, progress=progress,
                         warn=warn, audits=audits)
        (staging / REPORT).write_bytes(dumps(current))
        _write_attributes(staging)
        files = {path: file_entry(staging / path) for path, _ in _walk(staging)
                 if path != staging_folders.IGNORE_ALL}
        manifest = dumps(manifest_document(report, inputs, files))
        (staging / MANIFEST).write_bytes(manifest)
        make_private(staging)
        if final.exists() or final.is_symlink():  # taken meanwhile by another process
            raise SnapshotError(f"{rel} already exists: snapshots are never overwritten")
        staging_folders.unhide(staging)
        os.rename(staging, final)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(snapshots, created)
        if isinstance(exc, OSError):
            raise SnapshotError(f"cannot write the snapshot: {exc}") from None
        raise

    taken = Taken(final, len(files), sha256(manifest), previous)
    if git is None or not commit:
        return taken
    try:
        commit_id = _commit(git, rel, tag, _commit_message(report, rel, taken),
                            _tag_message(report, rel, taken), sign)
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        _remove_if_empty(snapshots, created)
        raise
    return Taken(final, taken.files, taken.manifest_sha256, previous, commit_id, tag, sign)


def _write_attributes(folder: Path) -> None:
    """The snapshot's own .gitattributes: git must never convert its files."""
    (folder / ATTRIBUTES).write_bytes(ATTRIBUTES_TEXT)


def _changes_page(workspace: Path, report: Report, current: dict[str, Any]
                  ) -> tuple[dict[str, str] | None, date | None]:
    folder = previous_snapshot(workspace, report.as_of)
    if folder is None:
        return None, None
    # The earlier snapshot must be intact: the changes page is evidence too.
    hint = f"the changes page needs the earlier snapshot; check it with `caseload verify {folder}`"
    try:
        changes = compare(read_snapshot_report(folder), current)
    except InvalidSnapshot as exc:
        raise InvalidSnapshot(f"{exc} ({hint})") from None
    except InvalidReport as exc:
        raise InvalidSnapshot(f"{folder / REPORT}: not a caseload report ({exc}; {hint})") \
            from None
    return {CHANGES_PAGE: render_changes(changes, workspace)}, changes.before


def _remove_if_empty(folder: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _summary(report: Report) -> str:
    counts = report.severity_counts
    total = len(report.evaluations)
    return (f"{total} client{'s' if total != 1 else ''}; findings: {counts['error']} error, "
            f"{counts['warning']} warning, {counts['info']} info")


def _commit_message(report: Report, rel: str, taken: Taken) -> str:
    practice = " ".join(report.caseload.practice_name.split())
    return (f"caseload snapshot {report.as_of}\n\n"
            f"{rel}: the site, its Markdown and the report of {practice} as of "
            f"{report.as_of} ({_summary(report)}), built by caseload {__version__}.\n\n"
            f"manifest.json sha256: {taken.manifest_sha256}\n")


def _tag_message(report: Report, rel: str, taken: Taken) -> str:
    return (f"caseload snapshot {report.as_of}\n\n"
            f"{rel}: {taken.files} files listed in manifest.json, caseload {__version__}\n"
            f"manifest.json sha256: {taken.manifest_sha256}\n")


# --- reading a snapshot --------------------------------------------------------------


def _is_safe_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and "\\" not in path \
        and all(p not in ("", ".", "..") for p in parts) and path != MANIFEST


def _check_entries(entries: Any, what: str) -> None:
    if not isinstance(entries, dict):
        raise InvalidSnapshot(f"{MANIFEST}: '{what}' is not a mapping of files")
    for path, entry in entries.items():
        if not _is_safe_path(path):
            raise InvalidSnapshot(f"{MANIFEST}: '{what}' names a bad path {path!r}")
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and _SHA256.fullmatch(entry["sha256"]) and type(entry.get("size")) is int
                and entry["size"] >= 0):
            raise InvalidSnapshot(f"{MANIFEST}: '{what}' entry {path!r} needs a sha256 and a size")


def read_manifest(folder: Path) -> tuple[dict[str, Any], bytes]:
    """The snapshot's manifest, checked, and its bytes.

    UnreadableSnapshot when there is no manifest to read (missing, not a regular
    file); InvalidSnapshot when it is not a caseload manifest.
    """
    data = read_regular(folder / MANIFEST, "missing, so this is not a caseload snapshot "
                                           "(or its manifest was deleted)")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSnapshot(f"{MANIFEST}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("kind") != MANIFEST_KIND:
        raise InvalidSnapshot(f"{MANIFEST}: not a caseload snapshot manifest")
    if document.get("manifest_version") != MANIFEST_VERSION:
        raise InvalidSnapshot(f"{MANIFEST}: manifest version "
                              f"{document.get('manifest_version')!r} is not supported "
                              f"(this caseload reads version {MANIFEST_VERSION})")
    as_of = document.get("as_of")
    if not (isinstance(as_of, str) and DATE_PATTERN.fullmatch(as_of)):
        raise InvalidSnapshot(f"{MANIFEST}: 'as_of' is not a date")
    _check_entries(document.get("files"), "files")
    _check_entries(document.get("inputs", {}), "inputs")
    return document, data


def read_snapshot_report(folder: Path) -> Any:
    """A snapshot's report.json, after checking it against the snapshot's manifest.

    A report whose line endings git converted on checkout (a clone with
    core.autocrlf, of a snapshot older than its .gitattributes) is read from its
    blob in git when that blob is the one the manifest names.
    """
    if not folder.is_dir():
        raise InvalidSnapshot(f"{folder}: no such snapshot folder")
    try:
        manifest, _ = read_manifest(folder)
    except UnreadableSnapshot:
        raise
    except InvalidSnapshot as exc:
        raise InvalidSnapshot(f"{folder}: {exc}") from None
    expected = manifest["files"].get(REPORT)
    if expected is None:
        raise InvalidSnapshot(f"{folder}: the manifest lists no {REPORT}")
    data = read_regular(folder / REPORT)
    if not _is_entry(data, expected):
        original = _original_in_git(folder, manifest["as_of"], REPORT, data, expected)
        if original is None:
            raise InvalidSnapshot(f"{folder / REPORT}: altered since the snapshot was taken "
                                  f"(run `caseload verify {folder}`)")
        data = original
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSnapshot(f"{folder / REPORT}: not valid JSON ({exc})") from None


def _is_entry(data: bytes, entry: dict[str, Any]) -> bool:
    return len(data) == entry["size"] and sha256(data) == entry["sha256"]


def checked_out(blob: bytes) -> bytes:
    """A blob as git writes it to a working tree that converts LF to CRLF (autocrlf)."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", blob)


def _converted_from(data: bytes, blob: bytes | None, entry: dict[str, Any]) -> bool:
    """Are `data` the bytes git checked out, with CRLF, from a blob the manifest names?"""
    return blob is not None and data != blob and _is_entry(blob, entry) \
        and data == checked_out(blob)


def _original_in_git(folder: Path, as_of: str, name: str, data: bytes,
                     entry: dict[str, Any]) -> bytes | None:
    """The blob of `folder/name` in the snapshot's tagged commit (or HEAD), if `data` is
    that blob with its line endings converted and the blob is what `entry` names."""
    try:
        git = Git(folder)
        toplevel = git.toplevel()
        if toplevel is None:
            return None
        git = Git(toplevel)
        rel = folder.resolve().relative_to(toplevel.resolve()).as_posix()
        tag = tag_name(as_of)
        commit = f"refs/tags/{tag}^{{commit}}" if git.has_tag(tag) else "HEAD"
        found = git.run("rev-parse", "-q", "--verify", f"{commit}:{rel}/{name}", check=False)
        if found.returncode != 0:
            return None
        blob = git.blobs([found.stdout.strip()])[0]
    except (GitFailed, ValueError):
        return None
    return blob if blob is not None and _converted_from(data, blob, entry) else None


def resolve_snapshot(argument: str, workspace: Path) -> Path:
    """A snapshot given as a folder, or as a date meaning WORKSPACE/snapshots/<date>."""
    path = Path(argument)
    if path.is_dir():
        return path
    if DATE_PATTERN.fullmatch(argument):
        return workspace / SNAPSHOTS_DIR / argument
    return path


# --- verifying a snapshot ------------------------------------------------------------


@dataclass
class Verification:
    """What `caseload verify` found; `lines` is what it prints."""

    folder: Path
    problem: str | None = None  # the manifest itself is invalid
    manifest: dict[str, Any] = field(default_factory=dict)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)  # intact as committed; CRLF on disk
    git_lines: list[str] = field(default_factory=list)
    git_problems: list[str] = field(default_factory=list)  # each one makes verify fail

    @property
    def intact(self) -> bool:
        return self.problem is None and not (self.altered or self.missing or self.extra
                                             or self.git_problems)

    def problem_in_git(self, reason: str) -> None:
        if reason not in self.git_problems:
            self.git_problems.append(reason)

    def lines(self) -> list[str]:
        if self.problem is not None:
            return [printable(f"{self.folder}: {self.problem}")]
        out = [f"altered: {p}" for p in self.altered]
        out += [f"missing: {p}" for p in self.missing]
        out += [f"extra: {p}" for p in self.extra]
        listed = len(self.manifest["files"])
        about = f"caseload {self.manifest.get('tool_version', '?')}, as of " \
            f"{self.manifest['as_of']}"
        if self.altered or self.missing or self.extra:
            out.append(f"{self.folder}: NOT intact: {len(self.altered)} altered, "
                       f"{len(self.missing)} missing, {len(self.extra)} extra "
                       f"(manifest.json lists {listed} files; {about})")
        elif self.converted:
            out.append(f"{self.folder}: all {listed} files match manifest.json, "
                       f"{len(self.converted)} of them through their blobs in git ({about})")
        else:
            out.append(f"{self.folder}: all {listed} files match manifest.json ({about})")
        out += self.git_lines
        if self.git_problems:
            out.append(f"{self.folder}: NOT verified: {'; '.join(self.git_problems)}")
        return [printable(line) for line in out]


def verify_snapshot(folder: Path) -> Verification:
    """Check a snapshot against its manifest, and in git.

    Raises UnreadableSnapshot when it cannot be read at all: no manifest, or a
    manifest or other file that is not a regular file (a FIFO, a device).
    """
    result = Verification(folder)
    try:
        result.manifest, manifest_bytes = read_manifest(folder)
    except UnreadableSnapshot:
        raise
    except InvalidSnapshot as exc:
        result.problem = str(exc)
        return result
    expected: dict[str, Any] = result.manifest["files"]
    on_disk = {rel: path for rel, path in _walk(folder, folder_links=True) if rel != MANIFEST}
    for rel in sorted(expected.keys() | on_disk.keys()):
        if rel not in on_disk:
            result.missing.append(rel)
        elif not _matches(on_disk[rel], expected.get(rel)):
            (result.altered if rel in expected else result.extra).append(rel)
    try:
        _verify_in_git(result, manifest_bytes)
    except GitFailed as exc:
        result.git_lines.append(f"git: cannot check ({exc}); the manifest alone vouches for "
                                "these files")
    return result


def _matches(path: Path, expected: dict[str, Any] | None) -> bool:
    """Is `path` a regular file with the manifest's hash and size? A link never is;
    anything else that is not a regular file (a FIFO, a device) cannot be read:
    UnreadableSnapshot."""
    try:
        mode = os.stat(path, follow_symlinks=False).st_mode
    except OSError as exc:
        raise UnreadableSnapshot(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISLNK(mode) or stat.S_ISDIR(mode):
        return False
    entry = file_entry(path, follow=False)
    return expected is not None and \
        entry == {"sha256": expected["sha256"], "size": expected["size"]}


def _verify_in_git(result: Verification, manifest_bytes: bytes) -> None:
    say = result.git_lines.append
    git = Git(result.folder)
    try:
        toplevel = git.toplevel()
    except GitFailed as exc:
        say(f"git: cannot check ({exc}); the manifest alone vouches for these files")
        return
    if toplevel is None:
        say("git: the folder is not in a git repository; the manifest alone vouches for it")
        return
    git = Git(toplevel)
    rel = result.folder.resolve().relative_to(toplevel.resolve()).as_posix()
    if rel == ".":
        say("git: the snapshot is a repository of its own; the manifest alone vouches for it")
        return
    tag = tag_name(result.manifest["as_of"])
    if not git.has_tag(tag):
        _verify_untagged(result, git, tag, rel)
        return
    commit = git.out("rev-parse", "--verify", f"refs/tags/{tag}^{{commit}}")
    subject = git.out("log", "-1", "--format=%s", commit)
    say(f"git: tag {tag}, commit {commit} ({subject})")
    committed = _committed(git, commit, rel)
    if not committed:
        say(f"git: commit {commit} of tag {tag} does not hold {rel}")
        result.problem_in_git(f"tag {tag} is not the commit of this snapshot")
    on_disk = _hashes_on_disk(result, git, rel)
    _accept_converted(result, git, commit, rel, committed, on_disk)
    _check_tag_message(result, git, tag, manifest_bytes, committed, on_disk, rel)
    _check_signature(result, git, tag)
    _check_later_commits(result, git, tag, commit, rel)
    if committed:
        _compare_with_commit(result, commit, rel, committed, on_disk)


def _verify_untagged(result: Verification, git: Git, tag: str, rel: str) -> None:
    say = result.git_lines.append
    commit = git.run("log", "-1", "--format=%H", "--", rel, check=False).stdout.strip()
    if not commit:
        say(f"git: not committed (no tag {tag}, and no commit holds {rel}); the manifest "
            "alone vouches for it")
        return
    subject = git.out("log", "-1", "--format=%s", commit)
    say(f"git: UNTAGGED: there is no tag {tag}, yet commit {commit} ({subject}) holds {rel}. "
        "caseload tags every snapshot it commits, so the tag was deleted or never made, and "
        "nothing in git vouches for these files (to tag it by hand, see the README)")
    result.problem_in_git(f"untagged (no tag {tag})")
    committed = _committed(git, commit, rel)
    if committed:
        on_disk = _hashes_on_disk(result, git, rel)
        _accept_converted(result, git, commit, rel, committed, on_disk)
        _compare_with_commit(result, commit, rel, committed, on_disk)


def _committed(git: Git, commit: str, rel: str) -> dict[str, str]:
    """Blob id of every file below `rel` in `commit`, by path from the top of the repository."""
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", rel).stdout
    committed: dict[str, str] = {}
    for record in filter(None, listing.split("\0")):
        meta, _, path = record.partition("\t")
        committed[path] = meta.split()[2]
    return committed


def _hashes_on_disk(result: Verification, git: Git, rel: str) -> dict[str, str]:
    """The blob id git gives each file below the snapshot folder, as it would store it
    (after converting line endings where the repository says so); "" for a link."""
    local = {f"{rel}/{name}": path for name, path in _walk(result.folder, folder_links=True)}
    # A snapshot holds plain files only: a link, or a name git cannot take on a line, differs.
    hashable = [name for name, path in local.items()
                if "\n" not in name and not path.is_symlink() and path.is_file()]
    hashes = git.run("hash-object", "--stdin-paths",
                     stdin="".join(f"{name}\n" for name in hashable)).stdout.split() \
        if hashable else []
    on_disk = dict.fromkeys(local, "")  # "" never matches a blob id
    on_disk.update(zip(hashable, hashes, strict=True))
    return on_disk


def _accept_converted(result: Verification, git: Git, commit: str, rel: str,
                      committed: dict[str, str], on_disk: dict[str, str]) -> None:
    """Files that differ from the manifest only because git converted their line endings
    on checkout (a clone with core.autocrlf, of a snapshot that has no .gitattributes)
    are intact when git takes them for their committed blob, that blob is the one the
    manifest names, and the bytes on disk are that blob with CRLF line endings."""
    candidates = [name for name in result.altered
                  if committed.get(f"{rel}/{name}", "-") == on_disk.get(f"{rel}/{name}")]
    expected = result.manifest["files"]
    for start in range(0, len(candidates), 256):
        chunk = candidates[start:start + 256]
        for name, blob in zip(chunk, git.blobs([committed[f"{rel}/{n}"] for n in chunk]),
                              strict=True):
            if _converted_from(read_regular(result.folder / name), blob, expected[name]):
                result.converted.append(name)
    if not result.converted:
        return
    result.altered = [name for name in result.altered if name not in result.converted]
    named = ", ".join(result.converted[:3]) + (", ..." if len(result.converted) > 3 else "")
    count = len(result.converted)
    result.git_lines.append(
        f"git: {count} file{'s' if count != 1 else ''} ({named}) differ from manifest.json "
        "only by line endings git converted on checkout (core.autocrlf); "
        f"{'their blobs' if count != 1 else 'its blob'} in commit {commit} match "
        "manifest.json, so they are intact")


def _check_tag_message(result: Verification, git: Git, tag: str, manifest_bytes: bytes,
                       committed: dict[str, str], on_disk: dict[str, str], rel: str) -> None:
    say = result.git_lines.append
    if git.out("cat-file", "-t", f"refs/tags/{tag}") != "tag":
        say(f"git: tag {tag} is not an annotated tag: it holds no manifest hash to check")
        result.problem_in_git(f"tag {tag} holds no manifest hash")
        return
    message = git.run("cat-file", "tag", f"refs/tags/{tag}").stdout
    found = _TAG_HASH.search(message.partition("\n\n")[2])
    actual = sha256(manifest_bytes)
    if found is None:
        say(f"git: the message of tag {tag} names no manifest hash")
        result.problem_in_git(f"tag {tag} holds no manifest hash")
        return
    if found.group(1) == actual:
        say(f"git: manifest.json matches the SHA-256 in tag {tag}")
        return
    blob_id = committed.get(f"{rel}/{MANIFEST}")
    blob = git.blobs([blob_id])[0] if blob_id and on_disk.get(f"{rel}/{MANIFEST}") == blob_id \
        else None
    if blob is not None and sha256(blob) == found.group(1) and \
            manifest_bytes == checked_out(blob) != blob:
        say(f"git: manifest.json matches the SHA-256 in tag {tag} through its blob in git "
            "(git converted its line endings on checkout)")
        return
    say(f"git: manifest.json does NOT match the SHA-256 in tag {tag} "
        f"({actual} here, {found.group(1)} in the tag)")
    result.problem_in_git(f"manifest.json is not the one tag {tag} names")


def _check_signature(result: Verification, git: Git, tag: str) -> None:
    if git.out("cat-file", "-t", f"refs/tags/{tag}") != "tag":
        return  # a lightweight tag has no signature (and is already a problem)
    signature = check_tag_signature(git, tag)
    result.git_lines.append(signature.line)
    if signature.state not in (GOOD, UNSIGNED):
        result.problem_in_git(signature.reason)


_CHANGE_WORDS = {"A": "added", "D": "deleted", "M": "altered", "T": "changed type"}


def _changes(output: str, rel: str, limit: int = 10) -> str:
    """`diff-tree -z --name-status` output as "altered site/x.html, deleted docs/y.md"."""
    fields = [f for f in output.split("\0") if f]
    pairs = [(_CHANGE_WORDS.get(status[:1], "changed"), path[len(rel) + 1:])
             for status, path in zip(fields[::2], fields[1::2], strict=False)]
    shown = ", ".join(f"{word} {path}" for word, path in pairs[:limit])
    return shown + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


def _check_later_commits(result: Verification, git: Git, tag: str, commit: str, rel: str
                         ) -> None:
    """Has git moved on from the tagged snapshot: does HEAD hold other files below `rel`,
    or did a commit after the tag change them (even one taken back later)?"""
    say = result.git_lines.append
    head = git.head()
    if head is None:
        say(f"git: HEAD has no commit; {rel} there cannot be compared with tag {tag}")
        return
    if head == commit:
        say(f"git: HEAD is the commit of tag {tag}")
        return
    later = False
    if git.ok("merge-base", "--is-ancestor", commit, head):
        log = git.run("log", "--reverse", "--format=%H%x09%s", f"{commit}..{head}", "--", rel)
        for line in log.stdout.splitlines():
            later_commit, _, subject = line.partition("\t")
            what = git.run("diff-tree", "-r", "-z", "--no-commit-id", "--no-renames",
                           "--name-status", "--root", later_commit, "--", rel).stdout
            say(f"git: commit {later_commit} ({subject}) changed {rel} after tag {tag}: "
                f"{_changes(what, rel) or 'a merge'}")
            later = True
    else:
        say(f"git: the commit of tag {tag} is not in the history of HEAD (a rewritten "
            "history, or another branch)")
    moved = git.run("diff-tree", "-r", "-z", "--no-renames", "--name-status", commit, head,
                    "--", rel).stdout
    if moved.strip("\0"):
        say(f"git: {rel} at HEAD differs from tag {tag}: {_changes(moved, rel)}")
    if later or moved.strip("\0"):
        result.problem_in_git(f"{rel} was changed in git after tag {tag}")
    else:
        say(f"git: HEAD holds {rel} as tag {tag} does; no commit since changed it")


def _compare_with_commit(result: Verification, commit: str, rel: str,
                         committed: dict[str, str], on_disk: dict[str, str]) -> None:
    """Do the files on disk (manifest included) match the commit, blob for blob?"""
    differences = []
    for path in sorted(committed.keys() | on_disk.keys()):
        short = path[len(rel) + 1:]
        if path not in on_disk:
            differences.append(f"git: missing: {short}")
        elif path not in committed:
            differences.append(f"git: extra: {short}")
        elif on_disk[path] != committed[path]:
            differences.append(f"git: altered: {short}")
    if differences:
        result.git_lines.extend(differences)
        result.git_lines.append(f"git: the files on disk do NOT match commit {commit}")
        result.problem_in_git("it no longer matches what git recorded when the snapshot "
                              "was taken")
    else:
        result.git_lines.append(f"git: the files on disk match commit {commit}")
