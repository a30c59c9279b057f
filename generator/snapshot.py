"""`caseload snapshot` and `caseload verify`: dated, verifiable copies of the report.

A snapshot is the folder `snapshots/<as-of>/` of a workspace:

    site/           the built site, as `caseload build` makes it
    docs/           the Markdown it was built from
    report.json     the `check --format json` document
    manifest.json   tool version, as-of date, every payer's effective policy, and the
                    SHA-256 and size of every input file and of every file above

Nothing in it depends on the clock or on where the workspace lives: the same
input and date give the same bytes. The folder is built in a private staging
folder and renamed into place only when complete; then it is committed alone
(whatever else is staged stays staged) and tagged `snapshot-<as-of>`, the tag
message holding the manifest's SHA-256. Every precondition is checked before
anything is written, and any failure leaves no folder (and no commit) behind.
Snapshots are evidence: an existing folder or tag is never replaced.

Git is driven through its command line, one argument list per call, never a shell.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__
from generator import build as site_build
from generator.changes import PAGE as CHANGES_PAGE
from generator.changes import InvalidReport, compare, printable, render_changes
from generator.load import DATE_PATTERN
from generator.policy import SETTINGS, policy_for_payer
from generator.private import make_private
from generator.report import Report, report_json
from generator.sitesettings import SiteSettings

SNAPSHOTS_DIR = "snapshots"
MANIFEST = "manifest.json"
REPORT = "report.json"
SITE = "site"
DOCS = "docs"
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


# --- files and hashes ----------------------------------------------------------------


def file_entry(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"sha256": digest, "size": path.stat().st_size}


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
    """SHA-256 and size of every input of the report: content, policies, templates, site config."""
    entries: dict[str, dict[str, Any]] = {}
    try:
        for name in INPUT_DIRS:
            if (workspace / name).is_dir():
                for rel, path in _walk(workspace / name, SKIPPED_DIRS):
                    entries[f"{name}/{rel}"] = file_entry(path)
        for name in INPUT_FILES:
            if (workspace / name).is_file():
                entries[name] = file_entry(workspace / name)
    except OSError as exc:
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
            "settings": {s.key: {"value": policy[s.key], "layer": policy.layers[s.key]}
                         for s in SETTINGS},
        })
    return out


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

    def run(self, *args: str, check: bool = True, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                ["git", *args], cwd=self.cwd, input=stdin, capture_output=True, text=True,
                encoding="utf-8", errors="replace", check=False,
                stdin=None if stdin is not None else subprocess.DEVNULL,
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


def _commit(git: Git, rel: str, tag: str, commit_message: str, tag_message: str) -> str:
    """Commit the folder alone, tag it; on failure undo both and unstage the folder."""
    parent = git.head()
    commit = None
    try:
        git.run("add", "-f", "--", rel)
        git.run("commit", "-q", "--no-edit", "-m", commit_message, "--", rel)
        commit = git.out("rev-parse", "HEAD")
        _tag(git, tag, tag_message, commit)
        return commit
    except BaseException:
        _undo(git, rel, parent, commit, commit_message)
        raise


def _tag(git: Git, tag: str, message: str, commit: str) -> None:
    git.run("tag", "-a", "-m", message, tag, commit)


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
                  commit: bool = True, progress: site_build.Progress | None = None) -> Taken:
    """Build the report into `workspace/snapshots/<as-of>/`, then commit and tag it."""
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
    git = _repository(workspace, required=commit)
    if git is not None and commit:
        _check_identity(git)
        _check_git_is_free(git, rel, tag)
    elif git is not None and git.has_tag(tag):
        raise SnapshotError(f"git tag {tag} already exists: a snapshot of that date was taken "
                            "before, and snapshots are never overwritten")
    current = report_json(report)
    extra_pages, previous = _changes_page(workspace, report, current)
    inputs = input_files(workspace)

    created = not snapshots.exists()
    try:
        snapshots.mkdir(mode=0o700, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=snapshots))
    except OSError as exc:
        raise SnapshotError(f"cannot create a folder in {snapshots}: {exc}") from None
    try:
        site_build.build(report, workspace, staging / SITE, settings=settings,
                         docs_keep=staging / DOCS, extra_pages=extra_pages, progress=progress)
        (staging / REPORT).write_bytes(dumps(current))
        files = {path: file_entry(staging / path) for path, _ in _walk(staging)}
        manifest = dumps(manifest_document(report, inputs, files))
        (staging / MANIFEST).write_bytes(manifest)
        make_private(staging)
        if final.exists() or final.is_symlink():  # taken meanwhile by another process
            raise SnapshotError(f"{rel} already exists: snapshots are never overwritten")
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
                            _tag_message(report, rel, taken))
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        _remove_if_empty(snapshots, created)
        raise
    return Taken(final, taken.files, taken.manifest_sha256, previous, commit_id, tag)


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
    """The snapshot's manifest, checked, and its bytes; InvalidSnapshot otherwise."""
    path = folder / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidSnapshot(f"{MANIFEST}: missing, so this is not a caseload snapshot "
                              "(or its manifest was deleted)") from None
    except OSError as exc:
        raise InvalidSnapshot(f"{MANIFEST}: cannot be read ({exc.strerror or exc})") from None
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
    """A snapshot's report.json, after checking it against the snapshot's manifest."""
    if not folder.is_dir():
        raise InvalidSnapshot(f"{folder}: no such snapshot folder")
    try:
        manifest, _ = read_manifest(folder)
    except InvalidSnapshot as exc:
        raise InvalidSnapshot(f"{folder}: {exc}") from None
    expected = manifest["files"].get(REPORT)
    if expected is None:
        raise InvalidSnapshot(f"{folder}: the manifest lists no {REPORT}")
    try:
        data = (folder / REPORT).read_bytes()
    except OSError as exc:
        raise InvalidSnapshot(f"{folder / REPORT}: cannot be read ({exc.strerror or exc})") \
            from None
    if sha256(data) != expected["sha256"]:
        raise InvalidSnapshot(f"{folder / REPORT}: altered since the snapshot was taken "
                              f"(run `caseload verify {folder}`)")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSnapshot(f"{folder / REPORT}: not valid JSON ({exc})") from None


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
    problem: str | None = None  # the manifest itself is missing or invalid
    manifest: dict[str, Any] = field(default_factory=dict)
    altered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    git_lines: list[str] = field(default_factory=list)
    git_problem: bool = False

    @property
    def intact(self) -> bool:
        return self.problem is None and not (self.altered or self.missing or self.extra
                                             or self.git_problem)

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
        else:
            out.append(f"{self.folder}: all {listed} files match manifest.json ({about})")
        out += self.git_lines
        if self.git_problem:
            out.append(f"{self.folder}: NOT intact: it no longer matches what git recorded "
                       "when the snapshot was taken")
        return [printable(line) for line in out]


def verify_snapshot(folder: Path) -> Verification:
    result = Verification(folder)
    try:
        result.manifest, manifest_bytes = read_manifest(folder)
    except InvalidSnapshot as exc:
        result.problem = str(exc)
        return result
    expected: dict[str, Any] = result.manifest["files"]
    on_disk = {rel: path for rel, path in _walk(folder, folder_links=True) if rel != MANIFEST}
    for rel in sorted(expected.keys() | on_disk.keys()):
        if rel not in on_disk:
            result.missing.append(rel)
        elif rel not in expected:
            result.extra.append(rel)
        elif not _matches(on_disk[rel], expected[rel]):
            result.altered.append(rel)
    try:
        _verify_in_git(result, manifest_bytes)
    except GitFailed as exc:
        result.git_lines.append(f"git: cannot check ({exc}); the manifest alone vouches for "
                                "these files")
    return result


def _matches(path: Path, expected: dict[str, Any]) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return file_entry(path) == {"sha256": expected["sha256"], "size": expected["size"]}
    except OSError:
        return False


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
    tagged = git.has_tag(tag)
    if tagged:
        commit = git.out("rev-parse", "--verify", f"refs/tags/{tag}^{{commit}}")
    else:
        commit = git.run("log", "-1", "--format=%H", "--", rel, check=False).stdout.strip()
        if not commit:
            say(f"git: not committed (no tag {tag}, and no commit holds {rel})")
            return
    subject = git.out("log", "-1", "--format=%s", commit)
    if tagged:
        say(f"git: tag {tag}, commit {commit} ({subject})")
        _check_tag_message(result, git, tag, manifest_bytes)
    else:
        say(f"git: no tag {tag}; the latest commit holding {rel} is {commit} ({subject})")
    _compare_with_commit(result, git, commit, rel)


def _check_tag_message(result: Verification, git: Git, tag: str, manifest_bytes: bytes) -> None:
    if git.out("cat-file", "-t", f"refs/tags/{tag}") != "tag":
        say = f"git: tag {tag} is not an annotated tag: it holds no manifest hash to check"
        result.git_lines.append(say)
        result.git_problem = True
        return
    message = git.run("cat-file", "tag", f"refs/tags/{tag}").stdout
    found = _TAG_HASH.search(message.partition("\n\n")[2])
    actual = sha256(manifest_bytes)
    if found is None:
        result.git_lines.append(f"git: the message of tag {tag} names no manifest hash")
        result.git_problem = True
    elif found.group(1) == actual:
        result.git_lines.append(f"git: manifest.json matches the SHA-256 in tag {tag}")
    else:
        result.git_lines.append(f"git: manifest.json does NOT match the SHA-256 in tag {tag} "
                                f"({actual} here, {found.group(1)} in the tag)")
        result.git_problem = True


def _compare_with_commit(result: Verification, git: Git, commit: str, rel: str) -> None:
    """Do the files on disk (manifest included) match the commit, blob for blob?"""
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", rel).stdout
    committed: dict[str, str] = {}
    for record in filter(None, listing.split("\0")):
        meta, _, path = record.partition("\t")
        committed[path] = meta.split()[2]
    if not committed:
        result.git_lines.append(f"git: commit {commit} does not hold {rel}; "
                                "cannot compare the files with it")
        return
    local = {f"{rel}/{name}": path for name, path in _walk(result.folder, folder_links=True)}
    # A snapshot holds plain files only: a link, or a name git cannot take on a line, differs.
    hashable = [name for name, path in local.items()
                if "\n" not in name and path.is_file() and not path.is_symlink()]
    hashes = git.run("hash-object", "--stdin-paths",
                     stdin="".join(f"{name}\n" for name in hashable)).stdout.split() \
        if hashable else []
    on_disk = dict.fromkeys(local, "")  # "" never matches a blob id
    on_disk.update(zip(hashable, hashes, strict=True))
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
        result.git_problem = True
    else:
        result.git_lines.append(f"git: the files on disk match commit {commit}")
