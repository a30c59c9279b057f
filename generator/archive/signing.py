"""Signed snapshot tags: is a key at hand before `snapshot --sign` writes anything,
and what does git say about a tag's signature when `verify` checks it?

Git does the signing and the checking itself (`git tag -s`, `git verify-tag --raw`)
with the user's own configuration: `gpg.format` (openpgp or ssh), `user.signingkey`,
the programs it names, and for SSH `gpg.ssh.allowedSignersFile`, the list of who may
sign. This module only asks git, gpg and ssh-add whether a key is there, and turns
what `git verify-tag` prints into one line for the user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.archive.snapshot import Git

GOOD, UNSIGNED, BAD, UNCHECKED = "good", "unsigned", "bad", "unchecked"


# --- before signing ------------------------------------------------------------------


def signing_problem(git: Git) -> str | None:
    """Why `git tag -s` could not sign in this repository, or None when it has a key.

    Asked before anything is written. Signing can still fail later (a wrong
    passphrase, an agent that went away); the caller then takes its commit back.
    """
    fmt = (git.config("gpg.format") or "openpgp").strip().lower()
    key = git.config("user.signingkey")
    if fmt == "openpgp":
        return _openpgp_problem(git, key)
    if fmt == "ssh":
        return _ssh_problem(git, key)
    return (f"--sign works with gpg.format openpgp or ssh, and git is set to {fmt!r} "
            "(`git config gpg.format ssh` or `git config gpg.format openpgp`)")


def _openpgp_problem(git: Git, key: str | None) -> str | None:
    program = git.config("gpg.openpgp.program") or git.config("gpg.program") or "gpg"
    if key:
        named = f"user.signingkey {key!r}"
    else:
        # As git does without user.signingkey: the key of the committer's name and email.
        ident = git.run("var", "GIT_COMMITTER_IDENT", check=False).stdout.strip()
        key = ident.rsplit(" ", 2)[0] if ident.count(" ") >= 2 else ""
        if not key:
            return "no signing key: set one with `git config user.signingkey KEY-ID`"
        named = f"the committer {key!r} (no user.signingkey is set)"
    if shutil.which(program) is None:
        return (f"{program} is not installed (or not on the PATH): install GnuPG, or sign "
                "with SSH (`git config gpg.format ssh`)")
    listed = _run([program, "--batch", "--with-colons", "--list-secret-keys", "--", key])
    if listed is None or listed.returncode != 0 or not _usable_secret_key(listed.stdout):
        return (f"gpg has no usable secret key for {named}: set user.signingkey to a key "
                "that `gpg --list-secret-keys` shows (`git config user.signingkey KEY-ID`)")
    return None


def _usable_secret_key(colons: str) -> bool:
    """Does `gpg --with-colons --list-secret-keys` list a key that can sign?"""
    for line in colons.splitlines():
        fields = line.split(":")
        if fields[0] not in ("sec", "ssb") or len(fields) < 15:
            continue
        valid = fields[1] not in ("e", "r", "i", "d")  # expired, revoked, invalid, disabled
        signs = "s" in fields[11].lower() if fields[0] == "ssb" else "S" in fields[11]
        if valid and signs and fields[14] != "#":  # '#': only a stub, no secret key here
            return True
    return False


def _ssh_problem(git: Git, key: str | None) -> str | None:
    program = git.config("gpg.ssh.program") or "ssh-keygen"
    if shutil.which(program) is None:
        return (f"{program} is not installed (or not on the PATH): install the OpenSSH "
                "client, or sign with GnuPG (`git config gpg.format openpgp`)")
    if not key:
        if git.config("gpg.ssh.defaultKeyCommand"):
            return None  # git asks that command for the key when it signs
        return ("no SSH signing key: set one with "
                "`git config user.signingkey ~/.ssh/id_ed25519.pub`")
    literal = key[len("key::"):] if key.startswith("key::") else \
        key if key.startswith("ssh-") else None
    if literal is not None:
        # A public key written out: git signs through ssh-agent, which must hold it.
        wanted = literal.split()[:2]
        agent = _run(["ssh-add", "-L"])
        if agent is None or agent.returncode != 0 or \
                not any(line.split()[:2] == wanted for line in agent.stdout.splitlines()):
            return ("user.signingkey is an SSH public key that no running ssh-agent holds: "
                    "add the key with `ssh-add`, or set user.signingkey to its file")
        return None
    path = Path(os.path.expanduser(key))
    if not path.is_absolute():
        toplevel = git.toplevel()
        path = (toplevel or git.cwd) / path
    if not path.is_file():
        return f"user.signingkey is {key!r}, and there is no such key file"
    return None


def _run(args: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(args, capture_output=True, text=True, encoding="utf-8",
                              errors="replace", stdin=subprocess.DEVNULL, check=False,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


# --- checking a tag ------------------------------------------------------------------


@dataclass(frozen=True)
class TagSignature:
    state: str  # GOOD, UNSIGNED, BAD or UNCHECKED
    line: str  # what `verify` prints
    reason: str = ""  # why it does not vouch for the snapshot (BAD and UNCHECKED)


def check_tag_signature(git: Git, tag: str) -> TagSignature:
    """What git says about the signature of the annotated tag `tag`."""
    ref = f"refs/tags/{tag}"
    signature = git.run("for-each-ref", "--format=%(contents:signature)", ref).stdout
    if not signature.strip():
        return TagSignature(UNSIGNED, (
            f"git: tag {tag} is unsigned: it records which commit holds the snapshot, but "
            "anyone who can rewrite this repository could have made it (`caseload snapshot "
            "--sign` signs the tag; see SECURITY.md)"))
    checked = git.run("verify-tag", "--raw", ref, check=False)
    output = f"{checked.stderr}\n{checked.stdout}"
    if "-----BEGIN SSH SIGNATURE-----" in signature:
        return _ssh_verdict(tag, checked.returncode, output)
    if "-----BEGIN PGP SIGNATURE-----" in signature:
        return _gpg_verdict(tag, checked.returncode, output)
    if checked.returncode == 0:
        return TagSignature(GOOD, f"git: tag {tag} has a signature that git accepts")
    return _unchecked(tag, f"git verify-tag: {_last_line(output)}")


def _unchecked(tag: str, why: str) -> TagSignature:
    return TagSignature(UNCHECKED, f"git: the signature of tag {tag} cannot be checked: {why}",
                        f"the signature of tag {tag} cannot be checked")


def _bad(tag: str, line: str) -> TagSignature:
    return TagSignature(BAD, line, f"tag {tag} has a BAD signature")


_SSH_GOOD = re.compile(r'^Good "git" signature for (.+) with (\S+) key (\S+)$', re.MULTILINE)
_SSH_UNKNOWN = re.compile(r'^Good "git" signature with (\S+) key (\S+)$', re.MULTILINE)


def _ssh_verdict(tag: str, returncode: int, output: str) -> TagSignature:
    good = _SSH_GOOD.search(output)
    if returncode == 0 and good:
        principal, kind, fingerprint = good.groups()
        return TagSignature(GOOD, f"git: tag {tag} has a good SSH signature by {principal} "
                                  f"({kind} key {fingerprint}, as gpg.ssh.allowedSignersFile "
                                  "lists it)")
    if "allowedSignersFile needs to be configured" in output:
        return _unchecked(tag, "git has no gpg.ssh.allowedSignersFile saying whose SSH keys "
                               "may sign (`git config gpg.ssh.allowedSignersFile FILE`)")
    unknown = _SSH_UNKNOWN.search(output)
    if unknown and "No principal matched" in output:
        kind, fingerprint = unknown.groups()
        return _unchecked(tag, f"it was made with {kind} key {fingerprint}, which "
                               "gpg.ssh.allowedSignersFile does not list")
    if "incorrect signature" in output:
        return _bad(tag, f"git: tag {tag} has a BAD SSH signature: the tag was changed after "
                         "it was signed")
    return _unchecked(tag, f"git verify-tag: {_last_line(output)}")


def _gpg_verdict(tag: str, returncode: int, output: str) -> TagSignature:
    status: dict[str, str] = {}
    for line in output.splitlines():
        if line.startswith("[GNUPG:] "):
            word, _, rest = line[len("[GNUPG:] "):].partition(" ")
            status.setdefault(word, rest)
    trust = next((word[len("TRUST_"):].lower() for word in status if word.startswith("TRUST_")),
                 "undefined")
    if "GOODSIG" in status:
        key_id, _, uid = status["GOODSIG"].partition(" ")
        fingerprint = status.get("VALIDSIG", "").split(" ")[0] or key_id
        who = f"{uid} (key {fingerprint}; gpg's trust in the key: {trust})"
        if returncode == 0:
            return TagSignature(GOOD, f"git: tag {tag} has a good GPG signature by {who}")
        return _unchecked(tag, f"it is signed by {who}, which is less than gpg.minTrustLevel")
    if "BADSIG" in status:
        key_id, _, uid = status["BADSIG"].partition(" ")
        return _bad(tag, f"git: tag {tag} has a BAD GPG signature (made as {uid}, key "
                         f"{key_id}): the tag was changed after it was signed")
    for word, what in (("EXPKEYSIG", "an expired key"), ("REVKEYSIG", "a revoked key"),
                       ("EXPSIG", "a signature that has expired")):
        if word in status:
            key_id, _, uid = status[word].partition(" ")
            return _unchecked(tag, f"it is signed by {uid} (key {key_id}) with {what}")
    if "NO_PUBKEY" in status:
        key_id = status["NO_PUBKEY"].split(" ")[0]
        return _unchecked(tag, f"gpg has no public key {key_id} (import the signer's public "
                               "key with `gpg --import`)")
    return _unchecked(tag, f"git verify-tag: {_last_line(output)}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
