"""YAML that attacks the builder: an alias bomb, and fuzzed front matter and data files.

Both run in a subprocess of their own, so the time and peak memory measured are theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from badinput import TAILS, fails, site  # noqa: F401 (site: a fixture)
from conftest import KBSITE, ROOT

# Runs a command, then prints its wall time, CPU time and peak memory (the largest RSS of
# any process it waited for: the command and its children).
MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.monotonic() - start, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_bytes": usage.ru_maxrss * 1024, "code": result.returncode,
                  "stdout": result.stdout, "stderr": result.stderr}))
"""


def measured(*command: str, cwd: Path, **env: str) -> dict:
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}", **env}
    env = {**os.environ, **{k: v for k, v in env.items() if v}}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def alias_bomb(levels: int = 9) -> str:
    """`levels` lists, each of 9 aliases to the one before: 9**levels values if expanded."""
    lines = ["bomb0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"bomb{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_in_bounded_time_and_memory(site):
    text = (site / TAILS).read_text(encoding="utf-8")
    (site / TAILS).write_text(
        text.replace("tags: [tails, tor]\n", "tags: [tails, tor]\n" + alias_bomb()), encoding="utf-8"
    )
    n = text.splitlines().index("tags: [tails, tor]") + 3  # the first alias is on the line after bomb0
    run = measured(*KBSITE, "check", cwd=site)
    print(
        f"\nalias bomb (9 levels), kbsite check: {run['seconds']:.2f} s wall, {run['cpu']:.2f} s CPU, "
        f"peak {run['peak_bytes'] / 2**20:.0f} MB"
    )
    assert run["code"] == 1
    assert f"devices/what-is-tails.md:{n}: YAML alias *a0 is not allowed" in run["stderr"]
    assert "fix: write the value out in full" in run["stderr"]
    # CPU time, not wall time: two shared cores under other builds can stretch the wall clock.
    assert run["cpu"] <= 2.0 and run["peak_bytes"] <= 200 * 2**20
    fails(site, f"devices/what-is-tails.md:{n}: YAML alias *a0")


def test_alias_bomb_in_a_data_file(site):
    (site / "content/_data/glossary.yml").write_text(
        "- term: x\n  definition: y\n" + "  " + alias_bomb(9).replace("\n", "\n  "), encoding="utf-8"
    )
    fails(site, "_data/glossary.yml:4: YAML alias *a0 is not allowed")


def test_fuzzed_front_matter_and_data_files_load_or_fail_cleanly(tmp_path):
    work, storage = tmp_path / "work", tmp_path / "hypothesis"
    work.mkdir()
    fuzz = (sys.executable, str(ROOT / "tests/fuzz_loader.py"))
    env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(storage)}
    # Hypothesis parses the source of every module it takes for the project's own, once,
    # and caches what it found in its storage folder (200 MB on the first run): a short
    # run first, so the measured one measures the loader.
    assert measured(*fuzz, "3", cwd=work, **env)["code"] == 0
    run = measured(*fuzz, "300", cwd=work, **env)
    print(f"\nfuzz (300 inputs): {run['seconds']:.1f} s, peak {run['peak_bytes'] / 2**20:.0f} MB")
    assert run["code"] == 0, run["stdout"] + run["stderr"]
    assert "fuzz: OK" in run["stdout"]
    assert run["peak_bytes"] <= 200 * 2**20
    assert not list(work.iterdir()), "the fuzz run wrote files"
