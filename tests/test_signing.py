"""The signed bundle, with throwaway keys in a temporary GNUPGHOME: real gpg, minisign and sha256sum."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import copy_site, run_kbsite, tree_digest

from kbsite.outputs.signing import format_fingerprint


def _gpg(home: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["gpg", "--batch", *args], env={**os.environ, "GNUPGHOME": str(home)}, capture_output=True, **kw
    )


def _new_key(home: Path, uid: str) -> str:
    # ed25519 and no passphrase: made in milliseconds, signs without a prompt.
    made = _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
    assert made.returncode == 0, made.stderr
    listed = _gpg(home, "--with-colons", "--list-secret-keys", uid, text=True)
    return next(line.split(":")[9] for line in listed.stdout.splitlines() if line.startswith("fpr:"))


def _configure(root: Path, **options: str) -> None:
    config = root / "mkdocs.yml"
    lines = "".join(f"      {k}: {v}\n" for k, v in options.items())
    text = config.read_text()
    text = text.replace("  - kbsite\n", "  - kbsite:\n") if "  - kbsite:\n" not in text else text
    config.write_text(text.replace("  - kbsite:\n", f"  - kbsite:\n{lines}"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    return {
        "home": home,
        "publisher": _new_key(home, "Publisher <publisher@example.org>"),
        "other": _new_key(home, "Someone Else <other@example.org>"),
    }


@pytest.fixture(scope="module")
def signed(keys, tmp_path_factory) -> Path:
    """The mini site bundled with --sign by the publisher's key; returns the site's root."""
    root = copy_site(tmp_path_factory.mktemp("signed"), "mini")
    _configure(root, signing_key=format_fingerprint(keys["publisher"]))
    done = run_kbsite(
        "bundle", "--sign", "publisher@example.org", cwd=root, env={"GNUPGHOME": str(keys["home"])}
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote and signed dist/" in done.stdout
    return root


def _unpack(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    (top,) = dest.iterdir()
    return top


@pytest.fixture
def unpacked(signed, tmp_path) -> Path:
    (zip_path,) = (signed / "dist").glob("*.zip")
    return _unpack(zip_path, tmp_path / "usb")


def _reader_verify(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """What a reader does: a fresh keyring, import PUBLISHER-KEY.asc, gpg --verify."""
    home = tmp_path / "reader-gnupg"
    home.mkdir(mode=0o700, exist_ok=True)
    imported = _gpg(home, "--import", str(folder / "PUBLISHER-KEY.asc"), text=True)
    assert imported.returncode == 0, imported.stderr
    return _gpg(home, "--verify", "SHA256SUMS.asc", "SHA256SUMS", cwd=folder, text=True)


def test_signature_and_checksums_verify_on_the_unpacked_copy(unpacked, keys, tmp_path):
    names = sorted(p.name for p in unpacked.iterdir())
    assert {"SHA256SUMS", "SHA256SUMS.asc", "PUBLISHER-KEY.asc"} <= set(names)
    key = (unpacked / "PUBLISHER-KEY.asc").read_text()
    assert "PUBLIC KEY BLOCK" in key and "PRIVATE" not in key
    good = _reader_verify(unpacked, tmp_path)
    assert good.returncode == 0, good.stderr
    assert 'Good signature from "Publisher <publisher@example.org>"' in good.stderr
    assert format_fingerprint(keys["publisher"]) in good.stderr  # "Primary key fingerprint: ..."
    sums = subprocess.run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=unpacked, capture_output=True)
    assert sums.returncode == 0, sums.stdout


def test_a_changed_file_fails_sha256sum(unpacked):
    with open(unpacked / "site" / "verify.html", "ab") as f:
        f.write(b"<!-- a forger's edit -->")
    bad = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True)
    assert bad.returncode != 0 and "site/verify.html: FAILED" in bad.stdout


def test_a_changed_sha256sums_fails_gpg_verify(unpacked, tmp_path):
    # A forger who changed a file updates its checksum too: the signature catches that.
    with open(unpacked / "site" / "verify.html", "ab") as f:
        f.write(b"<!-- a forger's edit -->")
    forged = subprocess.run(
        ["sha256sum", "site/verify.html"], cwd=unpacked, capture_output=True, text=True
    ).stdout
    sums = unpacked / "SHA256SUMS"
    lines = [
        forged if line.endswith("  site/verify.html\n") else line
        for line in sums.read_text().splitlines(True)
    ]
    sums.write_text("".join(lines))
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=unpacked).returncode == 0
    bad = _reader_verify(unpacked, tmp_path)
    assert bad.returncode != 0 and "BAD signature" in bad.stderr


def test_fingerprint_printed_in_every_place(signed, unpacked, keys):
    printed = format_fingerprint(keys["publisher"])
    assert printed in (unpacked / "START-HERE.html").read_text()
    tails = (unpacked / "OPEN-IN-TAILS.txt").read_text()
    assert tails.isascii() and printed in tails
    for step in ("gpg --import PUBLISHER-KEY.asc", "gpg --verify SHA256SUMS.asc SHA256SUMS", "BAD signature"):
        assert step in tails
    verify = (unpacked / "site" / "verify.html").read_text()
    assert printed in verify and "Good signature" in verify and "second channel" in verify
    assert 'href="verify.html"' in (unpacked / "site" / "index.html").read_text()
    (pdf,) = (unpacked / "site" / "downloads").glob("*.pdf")
    cover = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert " ".join(printed.split()) in " ".join(cover.split())  # pdftotext does not keep the spacing
    (book,) = (unpacked / "site" / "downloads").glob("*.epub")
    with zipfile.ZipFile(book) as zf:
        assert printed in zf.read("OEBPS/cover.xhtml").decode()


def test_only_the_signature_differs_between_two_signed_bundles(signed, keys, tmp_path):
    (first,) = (signed / "dist").glob("*.zip")
    kept = tmp_path / first.name
    shutil.copy(first, kept)
    again = run_kbsite(
        "bundle", "--no-build", "--sign", keys["publisher"], cwd=signed, env={"GNUPGHOME": str(keys["home"])}
    )
    assert again.returncode == 0, again.stderr
    with zipfile.ZipFile(kept) as a, zipfile.ZipFile(first) as b:
        assert a.namelist() == b.namelist()
        differ = [n for n in a.namelist() if a.read(n) != b.read(n)]
    # Signature timestamps differ by the second; when they match, every byte is the same.
    assert differ in ([], [n for n in a.namelist() if n.endswith("/SHA256SUMS.asc")])


def test_a_wrong_or_missing_key_is_refused_before_anything_is_written(signed, keys):
    before = tree_digest(signed)
    env = {"GNUPGHOME": str(keys["home"])}
    wrong = run_kbsite("bundle", "--sign", "other@example.org", cwd=signed, env=env)
    assert wrong.returncode != 0
    assert "mkdocs.yml: plugins.kbsite.signing_key:" in wrong.stderr
    assert (
        format_fingerprint(keys["other"]) in wrong.stderr
        and format_fingerprint(keys["publisher"]) in wrong.stderr
    )
    assert "Nothing was written." in wrong.stderr
    missing = run_kbsite("bundle", "--sign", "nobody@example.org", cwd=signed, env=env)
    assert missing.returncode != 0 and "gpg has no secret key for 'nobody@example.org'" in missing.stderr
    no_gpg = run_kbsite(
        "bundle", "--sign", keys["publisher"], cwd=signed, env={**env, "PATH": "/nonexistent"}
    )
    assert (
        no_gpg.returncode != 0
        and "gpg is not installed" in no_gpg.stderr
        and "apt install gnupg" in no_gpg.stderr
    )
    assert tree_digest(signed) == before  # neither site/ nor dist/ changed


def test_sign_needs_the_configured_fingerprint(built_mini, keys, tmp_path):
    root = tmp_path / "unconfigured"
    shutil.copytree(built_mini, root)
    done = run_kbsite("bundle", "--sign", keys["publisher"], cwd=root, env={"GNUPGHOME": str(keys["home"])})
    assert done.returncode != 0
    assert "plugins.kbsite.signing_key: --sign needs the publisher's key fingerprint" in done.stderr
    assert not (root / "dist").exists()


def test_a_malformed_fingerprint_stops_the_build(built_mini, tmp_path):
    root = tmp_path / "bad-fpr"
    shutil.copytree(built_mini, root)
    _configure(root, signing_key="DEADBEEF")
    before = tree_digest(root / "site")
    done = run_kbsite("build", cwd=root)
    assert done.returncode != 0
    assert "plugins.kbsite.signing_key: 'DEADBEEF' is not an OpenPGP v4 fingerprint" in done.stderr
    assert tree_digest(root / "site") == before


@pytest.mark.skipif(
    not shutil.which("minisign"), reason="minisign (Debian) is installed by scripts/setup --test"
)
def test_minisign_signature(signed, tmp_path):
    made = subprocess.run(
        ["minisign", "-G", "-W", "-p", "mini.pub", "-s", "mini.key"], cwd=tmp_path, capture_output=True
    )
    assert made.returncode == 0, made.stderr
    public = (tmp_path / "mini.pub").read_text().splitlines()[1]
    root = tmp_path / "site"
    shutil.copytree(signed, root)
    _configure(root, minisign_key=public)  # the gpg fingerprint stays configured; --sign is not used
    done = run_kbsite("bundle", "--minisign", str(tmp_path / "mini.key"), cwd=root)
    assert done.returncode == 0, done.stderr
    folder = _unpack(next((root / "dist").glob("*.zip")), tmp_path / "usb")
    assert (folder / "SHA256SUMS.minisig").is_file() and not (folder / "SHA256SUMS.asc").exists()
    ok = subprocess.run(
        ["minisign", "-Vm", "SHA256SUMS", "-P", public], cwd=folder, capture_output=True, text=True
    )
    assert ok.returncode == 0 and "Signature and comment signature verified" in ok.stdout
    assert public in (folder / "site" / "verify.html").read_text()
    # Another minisign key is refused, and the earlier bundle stays.
    subprocess.run(
        ["minisign", "-G", "-W", "-p", "x.pub", "-s", "x.key"], cwd=tmp_path, check=True, capture_output=True
    )
    before = tree_digest(root / "dist")
    wrong = run_kbsite("bundle", "--no-build", "--minisign", str(tmp_path / "x.key"), cwd=root)
    assert (
        wrong.returncode != 0
        and "is not the secret key of the configured minisign public key" in wrong.stderr
    )
    assert tree_digest(root / "dist") == before
