"""Signing the bundle's SHA256SUMS: gpg (or minisign) run as separate programs.

kbsite never reads or stores a secret key: it asks gpg which secret key a KEYID names,
compares that key's fingerprint with the one configured in mkdocs.yml, and only then lets gpg
sign. Every check runs before anything is written, so a wrong key leaves no file behind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..content.errors import ContentError, ContentErrors

CONFIG_FIELD = "plugins.kbsite.signing_key"
MINISIGN_FIELD = "plugins.kbsite.minisign_key"
FINGERPRINT_RE = re.compile(r"[0-9A-F]{40}")


def normalize_fingerprint(text: str) -> str:
    """Upper-case hex without spaces (gpg prints it in groups of four)."""
    return re.sub(r"\s+", "", text).upper().removeprefix("0X")


def format_fingerprint(fpr: str) -> str:
    """Groups of four, two spaces in the middle: as `gpg --fingerprint` shows it."""
    groups = [fpr[i : i + 4] for i in range(0, len(fpr), 4)]
    return " ".join(groups[:5]) + "  " + " ".join(groups[5:])


def fingerprint_problem(value: str) -> str | None:
    if FINGERPRINT_RE.fullmatch(normalize_fingerprint(value)):
        return None
    return (
        f"{value!r} is not an OpenPGP v4 fingerprint: write the 40 hexadecimal digits that "
        "`gpg --fingerprint KEYID` prints (spaces are fine)"
    )


def _error(config_file: str, field: str, message: str, hint: str) -> ContentErrors:
    return ContentErrors([ContentError(config_file, message, hint, field=field)])


def _program(name: str, package: str, option: str) -> str:
    found = shutil.which(name)
    if not found:
        raise _error(
            option,
            option,
            f"{name} is not installed",
            f"install it (Debian: `apt install {package}`), or leave out {option}",
        )
    return found


def check_gpg_key(key_id: str, configured: str | None, config_file: str = "mkdocs.yml") -> str:
    """The fingerprint of the secret key KEY_ID names, if it is the configured one."""
    if not configured:
        raise _error(
            config_file,
            CONFIG_FIELD,
            "--sign needs the publisher's key fingerprint in mkdocs.yml",
            "add `signing_key: <40-hex fingerprint>` under `- kbsite:` in `plugins:`, so readers can "
            "compare it with the key that signed",
        )
    want = normalize_fingerprint(configured)
    gpg = _program("gpg", "gnupg", "--sign")
    listed = subprocess.run(
        [gpg, "--batch", "--with-colons", "--list-secret-keys", "--", key_id],
        capture_output=True,
        text=True,
    )
    # One `sec` record per matching key, each followed by its `fpr` record.
    fingerprints, last = [], ""
    for line in listed.stdout.splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and last == "sec":
            fingerprints.append(fields[9])
        last = fields[0] if fields[0] != "grp" else last
    if listed.returncode != 0 or not fingerprints:
        raise _error(
            "--sign",
            "--sign",
            f"gpg has no secret key for {key_id!r}",
            "give the key id or fingerprint of a key in `gpg --list-secret-keys` (set GNUPGHOME "
            "if the key lives elsewhere)",
        )
    if len(fingerprints) > 1:
        raise _error(
            "--sign",
            "--sign",
            f"{key_id!r} names {len(fingerprints)} secret keys",
            f"give the full fingerprint: {format_fingerprint(want)}",
        )
    if fingerprints[0] != want:
        raise _error(
            config_file,
            CONFIG_FIELD,
            f"the key {key_id!r} has the fingerprint {format_fingerprint(fingerprints[0])}, "
            f"but mkdocs.yml gives {format_fingerprint(want)}",
            "sign with the publisher's key; change signing_key only if the publisher's key really "
            "changed, and tell readers through a second channel",
        )
    return want


def gpg_sign(data: bytes, fingerprint: str) -> bytes:
    """An ASCII-armoured detached signature of `data` by the key with this fingerprint."""
    # The trailing "!" makes gpg use exactly this key, not a subkey it would pick.
    done = subprocess.run(
        ["gpg", "--batch", "--yes", "--armor", "--detach-sign", "--local-user", fingerprint + "!"],
        input=data,
        capture_output=True,
    )
    if done.returncode != 0 or not done.stdout:
        raise _error(
            "--sign",
            "--sign",
            "gpg could not sign: " + done.stderr.decode(errors="replace").strip(),
            "check that the key is usable for signing and that its passphrase can be entered",
        )
    return done.stdout


def gpg_public_key(fingerprint: str) -> bytes:
    """The public key only (`gpg --export`), for readers to import."""
    done = subprocess.run(
        ["gpg", "--batch", "--armor", "--export-options", "export-minimal", "--export", fingerprint],
        capture_output=True,
    )
    if done.returncode != 0 or not done.stdout:
        raise _error("--sign", "--sign", "gpg could not export the public key", "see `gpg --export`")
    return done.stdout


def check_minisign(configured: str | None, config_file: str = "mkdocs.yml") -> str:
    if not configured:
        raise _error(
            config_file,
            MINISIGN_FIELD,
            "--minisign needs the publisher's minisign public key in mkdocs.yml",
            "add `minisign_key: RW...` (the second line of the .pub file) under `- kbsite:`",
        )
    _program("minisign", "minisign", "--minisign")
    return configured.strip()


def minisign_sign(data: bytes, key_file: Path, public_key: str) -> bytes:
    """A minisign signature of `data`, checked against the configured public key."""
    with tempfile.TemporaryDirectory(prefix="kbsite-minisign-") as tmp:
        message = Path(tmp) / "SHA256SUMS"
        message.write_bytes(data)
        signed = subprocess.run(
            ["minisign", "-S", "-s", str(key_file), "-m", str(message)], capture_output=True, text=True
        )
        if signed.returncode != 0:
            raise _error(
                "--minisign",
                "--minisign",
                "minisign could not sign: " + (signed.stderr or signed.stdout).strip(),
                "give the secret key file made by `minisign -G`",
            )
        checked = subprocess.run(
            ["minisign", "-V", "-q", "-P", public_key, "-m", str(message)], capture_output=True, text=True
        )
        if checked.returncode != 0:
            raise _error(
                "mkdocs.yml",
                MINISIGN_FIELD,
                f"{key_file} is not the secret key of the configured minisign public key",
                "sign with the publisher's minisign key",
            )
        return (Path(tmp) / "SHA256SUMS.minisig").read_bytes()


def printed_fingerprint(configured: str | None) -> str:
    """The configured fingerprint as readers see it printed, or "" when none is configured."""
    return format_fingerprint(normalize_fingerprint(configured)) if configured else ""
