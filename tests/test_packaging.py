"""kbsite as a package: a built wheel, installed into a fresh environment, builds the starter site."""

from __future__ import annotations

import ast
import email
import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_site
from packaging.requirements import Requirement

# Modules that only the bench and tests import (kbsite/dev); everything else is the product.
DEV = ROOT / "kbsite" / "dev"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (so nothing is written into the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "kbsite", src / "kbsite", ignore=shutil.ignore_patterns("__pycache__"))
    out = work / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "-w",
            str(out),
            "./src",
        ],
        cwd=work,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("kbsite-*.whl")
    return built


def _third_party_imports() -> set[str]:
    """Top-level modules that kbsite's product code imports and the standard library lacks."""
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for path in (ROOT / "kbsite").rglob("*.py"):
        if path.is_relative_to(DEV):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {n.split(".")[0] for n in names} - stdlib - {"kbsite", "__future__"}
    return found


def test_wheel_declares_every_runtime_import(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = email.message_from_bytes(z.read("kbsite-0.1.0.dist-info/METADATA"))
        names = z.namelist()
    declared = {
        Requirement(r).name.lower().replace("_", "-")
        for r in meta.get_all("Requires-Dist")
        if "extra ==" not in r
    }
    providers = importlib.metadata.packages_distributions()
    imported = _third_party_imports()
    assert {"PIL", "weasyprint", "click", "mkdocs"} <= imported  # the scan sees them
    missing = {
        module: providers.get(module)
        for module in imported
        if not {d.lower().replace("_", "-") for d in providers.get(module, [])} & declared
    }
    # properdocs is imported only when KBSITE_ENGINE=properdocs asks for it (an optional engine).
    missing.pop("properdocs", None)
    assert not missing, f"imported but not in pyproject's dependencies: {missing}"
    assert meta["License-Expression"] == "MIT"
    assert "kbsite-0.1.0.dist-info/licenses/LICENSE" in names
    for needed in ("kbsite/templates/main.html", "kbsite/usb/START-HERE.html", "kbsite/outputs/handbook.py"):
        assert needed in names


def test_wheel_in_a_fresh_environment_builds_the_starter_site(wheel, tmp_path):
    """No checkout on the path: the wheel and what it declares are all there is."""
    venv = tmp_path / "venv"
    base = sysconfig.get_config_var("BINDIR") + "/python3"
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    # Offline: pip reads this machine's local index and wheel cache. The constraints are the
    # versions the suite tests with; the wheel itself says which packages are needed.
    install = subprocess.run(
        [
            venv / "bin/pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            ROOT / "requirements.txt",
            wheel,
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    site = copy_site(tmp_path, "starter")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SOURCE_DATE_EPOCH"] = "1767225600"
    where = subprocess.run(
        [venv / "bin/python", "-c", "import kbsite.cli; print(kbsite.cli.__file__)"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(venv)), where
    for command, says in (("check", "OK: "), ("build", "Built "), ("pdf", " pages, ")):
        run = subprocess.run(
            [venv / "bin/kbsite", command], cwd=site, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, (command, run.stderr)
        assert says in run.stdout + run.stderr, (command, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr
    assert (site / "site/index.html").is_file()
    assert (site / "site/downloads/anonymity-sense-handbook.pdf").stat().st_size > 100_000
