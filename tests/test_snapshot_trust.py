"""What `caseload verify` trusts: the tag, its signature, the history after it, the
bytes on a Windows-style clone, and input it must refuse without hanging.

Every test makes its own git repository with the demo and a stand-in for the
site build (see tests/test_snapshot.py), so no real site is built here. Signing
tests make a throwaway key (SSH with ssh-keygen, OpenPGP with gpg in a private
GNUPGHOME); without the tool they are skipped, except in CI (CI=true), where
they must run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import generator.archive.snapshot as snapshot_module
import generator.site.build
from tests.conftest import ROOT
from tests.test_snapshot import (
    AFTER,
    BEFORE,
    GIT_ENV,
    fake_build,
    git,
    make_repo,
    repo_state,
    run,
)

FOLDER = f"snapshots/{AFTER}"
TAG = f"snapshot-{AFTER}"


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def fast_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.site.build, "build", fake_build)


@pytest.fixture
def practice(tmp_path: Path, fast_build: None) -> Path:
    """A demo repository, not yet snapshotted."""
    return make_repo(tmp_path / "practice")


@pytest.fixture
def snapped(practice: Path) -> Path:
    """A demo repository with one snapshot, committed and tagged (unsigned)."""
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER)
    assert code == 0, err
    return practice


def need(tool: str) -> None:
    """Skip without `tool`, except in CI, where the test must run."""
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is needed in CI (.ci/run installs it)")
        pytest.skip(f"{tool} is not installed")


def verify(folder: Path) -> tuple[int, list[str]]:
    code, out, _ = run("verify", str(folder))
    return code, out.splitlines()


def rewrite_with_matching_manifest(root: Path, name: str = "site/index.html") -> None:
    """Edit a file of the snapshot and rewrite the manifest's hash to cover the edit."""
    folder = root / FOLDER
    (folder / name).write_text("<p>a different site</p>\n", encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    data = (folder / name).read_bytes()
    manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                          encoding="utf-8")


def manifest_hash(root: Path, commit: str = "HEAD") -> str:
    blob = subprocess.run(["git", "show", f"{commit}:{FOLDER}/manifest.json"], cwd=root,
                          capture_output=True, check=True).stdout
    return hashlib.sha256(blob).hexdigest()


def tag_by_hand(root: Path, commit: str = "HEAD") -> None:
    """What the README says to do to tag a snapshot by hand."""
    git(root, "tag", "-a", "--no-sign", TAG, commit, "-m", f"caseload snapshot {AFTER}",
        "-m", f"manifest.json sha256: {manifest_hash(root, commit)}")


# --- the tag and the history after it -------------------------------------------------


def test_unsigned_tag_is_named_as_unsigned(snapped: Path) -> None:
    code, lines = verify(snapped / FOLDER)
    assert code == 0, lines
    assert f"git: tag {TAG} is unsigned: it records which commit holds the snapshot, but " \
        "anyone who can rewrite this repository could have made it (`caseload snapshot " \
        "--sign` signs the tag; see SECURITY.md)" in lines
    assert f"git: HEAD is the commit of tag {TAG}" in lines


def test_deleted_tag_makes_the_snapshot_untagged(snapped: Path) -> None:
    commit = git(snapped, "rev-parse", f"{TAG}^{{commit}}").strip()
    git(snapped, "tag", "-d", TAG)
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert f"git: UNTAGGED: there is no tag {TAG}, yet commit {commit} (caseload snapshot " \
        f"{AFTER}) holds {FOLDER}. caseload tags every snapshot it commits, so the tag was " \
        "deleted or never made, and nothing in git vouches for these files (to tag it by " \
        "hand, see the README)" in lines
    assert lines[-1] == f"{snapped / FOLDER}: NOT verified: untagged (no tag {TAG})"


def test_edit_rewritten_manifest_commit_and_deleted_tag_fail(snapped: Path) -> None:
    # Issue 14, item 6: every hash agrees with the files, and the tag that would
    # have caught the rewritten manifest is gone.
    rewrite_with_matching_manifest(snapped)
    git(snapped, "commit", "-q", "-am", "Tidy the snapshot")
    git(snapped, "tag", "-d", TAG)
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert lines[0].startswith(f"{snapped / FOLDER}: all 4 files match manifest.json ")
    assert any(line.startswith(f"git: UNTAGGED: there is no tag {TAG}") for line in lines)
    assert lines[-1].endswith(f"NOT verified: untagged (no tag {TAG})")


def test_a_commit_after_the_tag_is_named(snapped: Path) -> None:
    rewrite_with_matching_manifest(snapped)
    git(snapped, "commit", "-q", "-am", "Tidy the snapshot")
    later = git(snapped, "rev-parse", "HEAD").strip()
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert f"git: commit {later} (Tidy the snapshot) changed {FOLDER} after tag {TAG}: " \
        "altered manifest.json, altered site/index.html" in lines
    assert f"git: {FOLDER} at HEAD differs from tag {TAG}: altered manifest.json, " \
        "altered site/index.html" in lines
    assert f"git: manifest.json does NOT match the SHA-256 in tag {TAG}" in " ".join(lines)
    assert "git: altered: site/index.html" in lines  # the files on disk, against the tag
    assert lines[-1] == (f"{snapped / FOLDER}: NOT verified: manifest.json is not the one tag "
                         f"{TAG} names; {FOLDER} was changed in git after tag {TAG}; it no "
                         "longer matches what git recorded when the snapshot was taken")


def test_a_change_taken_back_later_is_still_named(snapped: Path) -> None:
    rewrite_with_matching_manifest(snapped)
    git(snapped, "commit", "-q", "-am", "Tidy the snapshot")
    git(snapped, "revert", "--no-edit", "HEAD")
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    changed = [line for line in lines if f"changed {FOLDER} after tag {TAG}" in line]
    assert len(changed) == 2 and "(Tidy the snapshot)" in changed[0]
    assert not any("at HEAD differs" in line for line in lines)
    assert f"git: the files on disk match commit " \
        f"{git(snapped, 'rev-parse', TAG + '^{commit}').strip()}" in lines
    assert lines[-1].endswith(f"NOT verified: {FOLDER} was changed in git after tag {TAG}")


def test_unrelated_later_commits_are_fine(snapped: Path) -> None:
    (snapped / "content" / "note.txt").write_text("later work\n", encoding="utf-8")
    git(snapped, "add", "content/note.txt")
    git(snapped, "commit", "-q", "-m", "Later work")
    code, lines = verify(snapped / FOLDER)
    assert code == 0, lines
    assert f"git: HEAD holds {FOLDER} as tag {TAG} does; no commit since changed it" in lines


def test_a_folder_dropped_from_git_after_the_tag_is_named(snapped: Path) -> None:
    git(snapped, "rm", "-r", "-q", "--cached", FOLDER)
    git(snapped, "commit", "-q", "-m", "Untrack the snapshot")
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert any(line.startswith(f"git: {FOLDER} at HEAD differs from tag {TAG}: deleted ")
               for line in lines)


def test_a_tag_on_another_commit_fails(snapped: Path) -> None:
    git(snapped, "tag", "-d", TAG)
    git(snapped, "tag", "-a", "--no-sign", TAG, "HEAD~1", "-m", f"caseload snapshot {AFTER}",
        "-m", f"manifest.json sha256: {manifest_hash(snapped)}")
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert any(line.endswith(f"of tag {TAG} does not hold {FOLDER}") for line in lines)
    assert f"tag {TAG} is not the commit of this snapshot" in lines[-1]


def test_tagging_by_hand_as_the_readme_says(snapped: Path) -> None:
    git(snapped, "tag", "-d", TAG)
    tag_by_hand(snapped)
    code, lines = verify(snapped / FOLDER)
    assert code == 0, lines
    assert f"git: manifest.json matches the SHA-256 in tag {TAG}" in lines


def test_an_unsigned_tag_proves_nothing_against_a_rewrite(snapped: Path) -> None:
    # What SECURITY.md warns of: whoever can rewrite the repository can also re-tag.
    rewrite_with_matching_manifest(snapped)
    git(snapped, "commit", "-q", "-am", "Tidy the snapshot")
    git(snapped, "tag", "-d", TAG)
    tag_by_hand(snapped)
    code, lines = verify(snapped / FOLDER)
    assert code == 0
    assert any(line.startswith(f"git: tag {TAG} is unsigned") for line in lines)


# --- signing: SSH -------------------------------------------------------------------


def ssh_key(folder: Path, name: str = "key") -> Path:
    need("ssh-keygen")
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(key)],
                   check=True, stdin=subprocess.DEVNULL)
    return key


def allow(repo: Path, allowed: Path, principal: str, key: Path) -> None:
    allowed.write_text(f"{principal} {key.with_suffix('.pub').read_text().strip()}\n",
                       encoding="utf-8")
    git(repo, "config", "gpg.ssh.allowedSignersFile", str(allowed))


@pytest.fixture
def ssh_signing(practice: Path, tmp_path: Path) -> Path:
    """The practice set to sign with a new SSH key; returns the private key's path."""
    key = ssh_key(tmp_path / "keys")
    git(practice, "config", "gpg.format", "ssh")
    git(practice, "config", "user.signingkey", str(key) + ".pub")
    return key


def test_sign_with_ssh_and_verify_names_the_signer(practice: Path, ssh_signing: Path,
                                                   tmp_path: Path) -> None:
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 0, err
    assert f"tagged {TAG} (signed)." in err
    assert "-----BEGIN SSH SIGNATURE-----" in git(practice, "cat-file", "tag", TAG)

    # No list of who may sign: the signature cannot be checked.
    code, lines = verify(practice / FOLDER)
    assert code == 1
    assert f"git: the signature of tag {TAG} cannot be checked: git has no " \
        "gpg.ssh.allowedSignersFile saying whose SSH keys may sign " \
        "(`git config gpg.ssh.allowedSignersFile FILE`)" in lines
    assert lines[-1].endswith(f"NOT verified: the signature of tag {TAG} cannot be checked")

    allowed = tmp_path / "allowed_signers"
    allow(practice, allowed, "test@example.org", ssh_signing)
    code, lines = verify(practice / FOLDER)
    assert code == 0, lines
    good = [line for line in lines if "good SSH signature" in line]
    assert len(good) == 1 and good[0].startswith(
        f"git: tag {TAG} has a good SSH signature by test@example.org (ED25519 key SHA256:")
    assert good[0].endswith(", as gpg.ssh.allowedSignersFile lists it)")

    # Someone else's key in the list: the signer is not among those who may sign.
    allow(practice, allowed, "someone@example.org", ssh_key(tmp_path / "keys", "other"))
    code, lines = verify(practice / FOLDER)
    assert code == 1
    assert any("which gpg.ssh.allowedSignersFile does not list" in line for line in lines)


def test_a_changed_signed_tag_has_a_bad_signature(practice: Path, ssh_signing: Path,
                                                  tmp_path: Path) -> None:
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 0, err
    allow(practice, tmp_path / "allowed_signers", "test@example.org", ssh_signing)
    # Rewrite the manifest hash in the tag's message and keep the old signature.
    rewrite_with_matching_manifest(practice)
    git(practice, "commit", "-q", "-am", "Tidy the snapshot")
    forged = git(practice, "cat-file", "tag", TAG).replace(
        manifest_hash(practice, TAG), manifest_hash(practice))
    made = subprocess.run(["git", "mktag"], cwd=practice, input=forged, text=True,
                          capture_output=True, check=True).stdout.strip()
    git(practice, "update-ref", f"refs/tags/{TAG}", made)
    code, lines = verify(practice / FOLDER)
    assert code == 1
    assert f"git: tag {TAG} has a BAD SSH signature: the tag was changed after it was " \
        "signed" in lines
    assert f"tag {TAG} has a BAD signature" in lines[-1]


def test_without_sign_nothing_is_signed(practice: Path, ssh_signing: Path) -> None:
    git(practice, "config", "tag.gpgSign", "true")
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER)
    assert code == 0, err
    assert "(signed)" not in err
    assert "SIGNATURE-----" not in git(practice, "cat-file", "tag", TAG)


@pytest.mark.parametrize(("setting", "message"), [
    ({"gpg.format": "ssh"}, "no SSH signing key: set one with `git config user.signingkey"),
    ({"gpg.format": "ssh", "user.signingkey": "/nowhere/key.pub"},
     "user.signingkey is '/nowhere/key.pub', and there is no such key file"),
    ({"gpg.format": "x509"}, "--sign works with gpg.format openpgp or ssh"),
])
def test_sign_without_a_usable_key_writes_nothing(practice: Path, setting: dict[str, str],
                                                  message: str) -> None:
    if setting.get("gpg.format") == "ssh":
        need("ssh-keygen")
    for name, value in setting.items():
        git(practice, "config", name, value)
    before = repo_state(practice)
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 2
    assert err.startswith("caseload snapshot: cannot sign the tag: ") and message in err
    assert err.rstrip().endswith("nothing was written.") and len(err.splitlines()) == 1
    assert repo_state(practice) == before
    assert not (practice / "snapshots").exists()


def test_sign_with_no_commit_is_refused(practice: Path) -> None:
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign", "--no-commit")
    assert code == 2
    assert "--sign signs the snapshot's tag, and --no-commit makes none" in err
    assert not (practice / "snapshots").exists()


def test_signing_that_fails_at_tag_time_is_rolled_back(practice: Path, tmp_path: Path) -> None:
    need("ssh-keygen")
    broken = tmp_path / "not-a-key.pub"
    broken.write_text("this is not a key\n", encoding="utf-8")
    git(practice, "config", "gpg.format", "ssh")
    git(practice, "config", "user.signingkey", str(broken))
    before = repo_state(practice)
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 2
    assert f"git could not sign tag {TAG}" in err and "nothing was written" in err
    assert repo_state(practice) == before
    assert not (practice / "snapshots").exists()


# --- signing: OpenPGP ---------------------------------------------------------------


@pytest.fixture
def gnupg_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private GNUPGHOME (short, for gpg-agent's socket) with a new signing key."""
    need("gpg")
    home = Path(tempfile.mkdtemp(prefix="gpg-"))
    monkeypatch.setenv("GNUPGHOME", str(home))
    try:
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                        "Test Clinician <test@example.org>", "ed25519", "sign", "never"],
                       check=True, capture_output=True, stdin=subprocess.DEVNULL)
        yield home
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_gpg_signs_with_the_committers_key_by_default(practice: Path, gnupg_home: Path
                                                     ) -> None:
    # No user.signingkey: like git, gpg takes the key of the committer's name and email.
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 0, err
    code, lines = verify(practice / FOLDER)
    assert code == 0, lines
    assert any("good GPG signature by Test Clinician <test@example.org>" in line
               for line in lines)


def test_gpg_signed_tag(practice: Path, gnupg_home: Path, monkeypatch: pytest.MonkeyPatch
                        ) -> None:
    git(practice, "config", "user.signingkey", "test@example.org")
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 0, err
    assert "-----BEGIN PGP SIGNATURE-----" in git(practice, "cat-file", "tag", TAG)
    code, lines = verify(practice / FOLDER)
    assert code == 0, lines
    good = [line for line in lines if "good GPG signature" in line]
    assert len(good) == 1 and good[0].startswith(
        f"git: tag {TAG} has a good GPG signature by Test Clinician <test@example.org> (key ")
    assert good[0].endswith("; gpg's trust in the key: ultimate)")

    # Someone without the signer's public key cannot check it.
    elsewhere = Path(tempfile.mkdtemp(prefix="gpg-"))
    try:
        monkeypatch.setenv("GNUPGHOME", str(elsewhere))
        code, lines = verify(practice / FOLDER)
        subprocess.run(["gpgconf", "--kill", "all"], check=False, capture_output=True)
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)
        monkeypatch.setenv("GNUPGHOME", str(gnupg_home))
    assert code == 1
    assert any(line.startswith(f"git: the signature of tag {TAG} cannot be checked: gpg has "
                               "no public key ") for line in lines)

    # A changed tag keeps a signature that no longer fits it.
    forged = git(practice, "cat-file", "tag", TAG).replace(f"caseload snapshot {AFTER}\n",
                                                           f"caseload snapshot {BEFORE}\n", 1)
    made = subprocess.run(["git", "mktag"], cwd=practice, input=forged, text=True,
                          capture_output=True, check=True).stdout.strip()
    git(practice, "update-ref", f"refs/tags/{TAG}", made)
    code, lines = verify(practice / FOLDER)
    assert code == 1
    assert any(line.startswith(f"git: tag {TAG} has a BAD GPG signature (made as Test "
                               "Clinician <test@example.org>, key ") for line in lines)


def test_gpg_without_a_secret_key_writes_nothing(practice: Path, gnupg_home: Path) -> None:
    git(practice, "config", "user.signingkey", "nobody@example.org")
    before = repo_state(practice)
    code, _, err = run("snapshot", str(practice), "--as-of", AFTER, "--sign")
    assert code == 2
    assert "gpg has no usable secret key for user.signingkey 'nobody@example.org'" in err
    assert repo_state(practice) == before
    assert not (practice / "snapshots").exists()


# --- input that cannot be read --------------------------------------------------------


def caseload(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, so that a hang fails the test instead of the run."""
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def loose_copy(snapped: Path, tmp_path: Path) -> Path:
    """A copy of the snapshot outside git."""
    copy = tmp_path / "loose" / AFTER
    shutil.copytree(snapped / FOLDER, copy)
    return copy


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@needs_fifo
@pytest.mark.parametrize("name", ["manifest.json", "site/index.html", "site/pipe"])
def test_verify_refuses_a_fifo_without_hanging(loose_copy: Path, name: str) -> None:
    (loose_copy / name).unlink(missing_ok=True)
    os.mkfifo(loose_copy / name)
    result = caseload("verify", str(loose_copy))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"{loose_copy / name}:1: is a FIFO (named pipe), not a regular " \
        "file\n"


def test_verify_refuses_a_device_as_the_manifest(loose_copy: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    (loose_copy / "manifest.json").unlink()
    (loose_copy / "manifest.json").symlink_to("/dev/zero")
    result = caseload("verify", str(loose_copy))
    assert result.returncode == 2
    assert result.stderr == f"{loose_copy / 'manifest.json'}:1: is a symbolic link, not a " \
        "regular file\n"


def test_verify_without_a_manifest_exits_2(loose_copy: Path) -> None:
    (loose_copy / "manifest.json").unlink()
    code, out, err = run("verify", str(loose_copy))
    assert code == 2 and out == ""
    assert err == f"{loose_copy / 'manifest.json'}:1: missing, so this is not a caseload " \
        "snapshot (or its manifest was deleted)\n"


@needs_fifo
@pytest.mark.parametrize("name", ["manifest.json", "report.json"])
def test_diff_refuses_a_fifo_without_hanging(loose_copy: Path, name: str) -> None:
    (loose_copy / name).unlink()
    os.mkfifo(loose_copy / name)
    result = caseload("diff", str(loose_copy), str(loose_copy))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{loose_copy / name}:1: is a FIFO (named pipe), not a regular " \
        "file\n"


# --- a clone that converts line endings (Git for Windows) -----------------------------


def clone_with_autocrlf(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(source),
                    str(target)], check=True, capture_output=True)
    return target


def test_new_snapshots_keep_their_bytes_on_an_autocrlf_clone(snapped: Path, tmp_path: Path
                                                             ) -> None:
    manifest = json.loads((snapped / FOLDER / "manifest.json").read_text(encoding="utf-8"))
    assert ".gitattributes" in manifest["files"]
    clone = clone_with_autocrlf(snapped, tmp_path / "clone")
    assert b"\r\n" not in (clone / FOLDER / "site" / "index.html").read_bytes()
    code, lines = verify(clone / FOLDER)
    assert code == 0, lines
    assert not any("line endings" in line for line in lines)


def test_old_snapshots_verify_on_an_autocrlf_clone(practice: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Snapshots as caseload took them before they carried a .gitattributes.
    monkeypatch.setattr(snapshot_module, "_write_attributes", lambda folder: None)
    for day in (BEFORE, AFTER):
        code, _, err = run("snapshot", str(practice), "--as-of", day)
        assert code == 0, err
    clone = clone_with_autocrlf(practice, tmp_path / "clone")
    assert (clone / FOLDER / "site" / "index.html").read_bytes() == b"<p>site</p>\r\n"
    code, lines = verify(clone / FOLDER)
    assert code == 0, lines
    assert lines[0].startswith(f"{clone / FOLDER}: all 3 files match manifest.json, 3 of them "
                               "through their blobs in git (")
    commit = git(clone, "rev-parse", f"{TAG}^{{commit}}").strip()
    assert "git: 3 files (docs/index.md, report.json, site/index.html) differ from " \
        "manifest.json only by line endings git converted on checkout (core.autocrlf); " \
        f"their blobs in commit {commit} match manifest.json, so they are intact" in lines
    assert f"git: manifest.json matches the SHA-256 in tag {TAG} through its blob in git " \
        "(git converted its line endings on checkout)" in lines
    # diff reads the reports through git too.
    code, _, err = run("diff", BEFORE, AFTER, "--workspace", str(clone))
    assert code == 0, err


def test_line_endings_changed_by_hand_are_an_alteration(snapped: Path) -> None:
    # Without core.autocrlf git would not have written CRLF: someone did.
    page = snapped / FOLDER / "site" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"\n", b"\r\n"))
    code, lines = verify(snapped / FOLDER)
    assert code == 1
    assert lines[0] == "altered: site/index.html"
    assert "git: altered: site/index.html" in lines
