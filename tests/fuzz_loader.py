"""Hypothesis fuzzing of the content loader, run by tests/test_bad_input_yaml.py in a
subprocess of its own, so its time and peak memory are measured alone.

Every input must load or raise ContentErrors whose errors each name a file: never
another exception, and never more than a few seconds per input.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbsite.content import load
from kbsite.content.errors import ContentErrors

FIXTURE = Path(__file__).parent / "fixtures/mini/content"
FILES = sorted(p.relative_to(FIXTURE).as_posix() for p in FIXTURE.rglob("*") if p.is_file())
MAX_SECONDS = 3.0

# YAML-shaped values: what editors write, and what they should not.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.dates(),
    st.text(max_size=40),
    st.sampled_from(["tails", "tor-project", "features", "2026-13-02", "<b>x</b>", "javascript:x", "&lt;"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(max_size=12)
            | st.sampled_from(
                [
                    "title",
                    "summary",
                    "tags",
                    "updated",
                    "tools",
                    "related",
                    "tables",
                    "id",
                    "why",
                    "kind",
                    "rows",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=30,
)
# Mutations of real files: delete, insert or replace a run of characters.
noise = st.text(st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    [
        "*",
        "&a ",
        "*a",
        "- ",
        ": ",
        "\n",
        "  ",
        "---\n",
        "[",
        "{",
        "!!python/object:os.system",
        "\ufeff",
        "<<: ",
    ]
)


@st.composite
def mutated(draw, text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + draw(noise) + text[at + cut :]
    return text


@st.composite
def spoiled_content(draw) -> dict[str, str | bytes]:
    """Changed files of the mini fixture: relative path -> new text (or bytes)."""
    changed: dict[str, str | bytes] = {}
    for rel in draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=3, unique=True)):
        original = (FIXTURE / rel).read_text(encoding="utf-8")
        how = draw(st.sampled_from(["mutate", "mutate", "replace", "bytes"]))
        if how == "mutate":
            changed[rel] = draw(mutated(original))
        elif how == "bytes":
            changed[rel] = draw(st.binary(max_size=200))
        else:
            data = yaml.safe_dump(draw(values), allow_unicode=True)
            changed[rel] = f"---\n{data}---\n\nBody.\n" if rel.endswith(".md") else data
    return changed


def check(changed: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(FIXTURE, content)
        for rel, text in changed.items():
            data = text if isinstance(text, bytes) else text.encode("utf-8", errors="surrogatepass")
            (content / rel).write_bytes(data)
        start = time.monotonic()
        try:
            load.load(content, "Fuzz")
        except ContentErrors as exc:
            assert exc.errors and all(e.path and e.message for e in exc.errors), exc.format()
        elapsed = time.monotonic() - start
        assert elapsed < MAX_SECONDS, f"{elapsed:.1f} s for {changed!r}"


@settings(
    max_examples=int(sys.argv[1]) if len(sys.argv) > 1 else 200,
    deadline=None,  # bounded by MAX_SECONDS instead: a loaded machine is slow, not wrong
    database=None,  # nothing written into the repository
    derandomize=True,  # the same inputs on every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spoiled_content())
def fuzz(changed: dict[str, str | bytes]) -> None:
    check(changed)


if __name__ == "__main__":
    fuzz()
    print("fuzz: OK")
