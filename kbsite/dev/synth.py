"""Deterministic synthetic knowledge bases for the benchmark.

Articles are shaped like real ones (about 800 words, three structured tables,
three tool citations, related articles, glossary terms, 8 categories) and
written in the content format, so `kbsite check` accepts them. The same seed
and size always give byte-identical files. `write_stock` writes the same
Markdown for stock mkdocs-material (tables as pipe tables, tool and related
sections written out), which the benchmark builds for comparison.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

from ..content.model import slugify

SEED = 20261127
CATEGORIES = [
    ("basics", "Basics"),
    ("network", "Network"),
    ("devices", "Devices"),
    ("files", "Files"),
    ("practice", "Practice"),
    ("messaging", "Messaging"),
    ("accounts", "Accounts"),
    ("travel", "Travel"),
]
TABLE_KINDS = {
    "features": ("Features", [("feature", "Feature"), ("meaning", "Meaning"), ("role", "Role in anonymity")]),
    "protects": (
        "What it can help protect",
        [("item", "What it can help protect"), ("reason", "Reason"), ("caution", "Caution")],
    ),
    "risks": ("Remaining risks", [("risk", "Remaining risk"), ("example", "Example"), ("reason", "Reason")]),
    "situations": (
        "Suitable situations",
        [("situation", "Situation"), ("why", "Why it is suitable"), ("caution", "Caution")],
    ),
    "checks": ("Check items", [("item", "Check item"), ("reason", "Reason")]),
    "misunderstandings": ("Common misunderstandings", [("myth", "Misunderstanding"), ("reality", "Reality")]),
}
N_TOOLS, N_TERMS, N_WORDS = 48, 60, 9000
COMMON = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "that",
    "it",
    "for",
    "on",
    "with",
    "as",
    "your",
    "you",
    "be",
    "can",
    "by",
    "this",
    "not",
    "are",
    "or",
    "an",
    "what",
    "from",
    "at",
    "who",
    "more",
    "when",
    "one",
    "does",
    "which",
    "only",
    "if",
    "their",
    "they",
    "will",
    "but",
    "use",
    "may",
    "each",
    "other",
    "than",
    "some",
    "most",
    "also",
    "into",
    "so",
    "how",
    "about",
    "where",
    "after",
    "before",
    "keeps",
    "leaves",
    "shows",
]
SYLLABLES = [
    "ka",
    "ri",
    "to",
    "ve",
    "lan",
    "mo",
    "su",
    "pe",
    "dri",
    "ne",
    "fal",
    "cor",
    "bin",
    "tes",
    "lu",
    "gra",
    "mir",
    "po",
    "sen",
    "dal",
    "vi",
    "hu",
    "qua",
    "zet",
    "or",
    "el",
    "an",
    "is",
    "um",
    "ter",
    "ber",
    "nos",
    "cal",
    "fi",
    "wen",
    "rod",
    "pla",
    "jas",
    "tri",
    "kes",
]

# The same Markdown set-up for kbsite and stock Material, so both render the same work.
SHARED_CONFIG = """\
markdown_extensions:
  - tables
  - attr_list
  - admonition
  - toc:
      permalink: false
  - pymdownx.details
extra:
  generator: false
"""

KB_CONFIG = (
    """\
site_name: Synthetic KB
docs_dir: content
site_dir: site
use_directory_urls: false
strict: true
theme:
  name: material
  font: false
  language: en
  features: [navigation.indexes, navigation.prune]
plugins:
  - kbsite
"""
    + SHARED_CONFIG
)


class _Words:
    """A fixed vocabulary with a Zipf-like frequency, so some words are rare."""

    def __init__(self, rng: random.Random):
        seen: set[str] = set(COMMON)
        words: list[str] = []
        while len(words) < N_WORDS:
            w = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            if w not in seen:
                seen.add(w)
                words.append(w)
        self.rare = words
        vocab = COMMON + words
        weights = [1.0 / (rank + 3) for rank in range(len(vocab))]
        self.vocab, self.cum, total = vocab, [], 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def take(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.cum, k=n)


def _phrase(rng: random.Random, words: _Words, lo: int, hi: int) -> str:
    text = " ".join(words.take(rng, rng.randint(lo, hi)))
    return text[0].upper() + text[1:]


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_kb(root: Path, n_articles: int, seed: int = SEED) -> Path:
    """Write mkdocs.yml and content/ for `n_articles` articles under `root`."""
    rng = random.Random(seed)
    words = _Words(rng)
    content = root / "content"
    data = content / "_data"
    data.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(KB_CONFIG, encoding="utf-8")

    out = []
    for i, (cid, title) in enumerate(CATEGORIES):
        out.append(
            f"- id: {cid}\n  title: {title}\n  description: {_yaml_str(_phrase(rng, words, 12, 20) + '.')}\n  order: {(i + 1) * 10}\n"
        )
    (data / "categories.yml").write_text("".join(out), encoding="utf-8")

    out = []
    for cid, (caption, cols) in TABLE_KINDS.items():
        col_text = "".join(f"    - {{key: {k}, label: {label}}}\n" for k, label in cols)
        out.append(f"- id: {cid}\n  caption: {caption}\n  columns:\n{col_text}")
    (data / "table_kinds.yml").write_text("".join(out), encoding="utf-8")

    tools, out = [], []
    for i in range(N_TOOLS):
        name = (
            words.rare[i].capitalize()
            + " "
            + rng.choice(["Browser", "OS", "VPN", "Messenger", "Vault", "Cleaner"])
        )
        tid = slugify(name)
        tools.append((tid, name))
        out.append(
            f"- id: {tid}\n  name: {name}\n  kind: {rng.choice(['Anonymous OS', 'VPN service', 'Messenger', 'Metadata tool', 'Browser'])}\n"
            f"  url: https://{tid}.example.org/\n  description: {_yaml_str(_phrase(rng, words, 12, 22) + '.')}\n"
        )
    (data / "tools.yml").write_text("".join(out), encoding="utf-8")

    terms = [words.rare[N_TOOLS + i].capitalize() for i in range(N_TERMS)]
    out = [f"- term: {t}\n  definition: {_yaml_str(_phrase(rng, words, 20, 40) + '.')}\n" for t in terms]
    (data / "glossary.yml").write_text("".join(out), encoding="utf-8")

    slugs = [f"{slugify(' '.join(words.take(rng, 3)))}-{i}" for i in range(n_articles)]
    epoch = dt.date(2025, 1, 1)
    for i, slug in enumerate(slugs):
        cid = CATEGORIES[i % len(CATEGORIES)][0]
        folder = content / cid
        folder.mkdir(exist_ok=True)
        (folder / f"{slug}.md").write_text(
            _article(rng, words, slugs, i, tools, terms, epoch), encoding="utf-8"
        )
    return root


def write_translations(root: Path, langs: tuple[str, ...] = ("ja", "fa")) -> None:
    """Translate every article of the knowledge base at `root` into each of `langs` and declare
    them. The words stay the same: the bench times the build of more pages, not a language."""
    for md in sorted((root / "content").glob("*/*.md")):
        if "." in md.stem:
            continue
        text = md.read_text(encoding="utf-8")
        updated = re.search(r"^updated: (\S+)$", text, re.M)
        assert updated, md
        text = text.replace(updated.group(0), f"translates: {updated.group(1)}", 1)
        text = re.sub(r"^related: .*\n", "", text, count=1, flags=re.M)  # the original's
        for lang in langs:
            md.with_name(f"{md.stem}.{lang}.md").write_text(text, encoding="utf-8")
    kbsite_option(root, f"languages: [{', '.join(langs)}]")


def kbsite_option(root: Path, option: str) -> None:
    """Add `option` (e.g. "parallel: false") to the kbsite plugin's options in root/mkdocs.yml
    (the bench's sites and the tests' fixture sites)."""
    yml = root / "mkdocs.yml"
    text = yml.read_text(encoding="utf-8")
    if "  - kbsite:\n" in text:
        text = text.replace("  - kbsite:\n", f"  - kbsite:\n      {option}\n", 1)
    elif "  - kbsite\n" in text:
        text = text.replace("  - kbsite\n", f"  - kbsite:\n      {option}\n", 1)
    else:
        raise ValueError(f"{yml}: no kbsite plugin to give `{option}` to")
    yml.write_text(text, encoding="utf-8")


def _article(rng, words, slugs, i, tools, terms, epoch) -> str:
    title = _phrase(rng, words, 3, 6)
    related = rng.sample([s for s in slugs if s != slugs[i]], min(3, len(slugs) - 1))
    cited = rng.sample(tools, 3)
    kinds = rng.sample(sorted(TABLE_KINDS), 3)
    lines = [
        "---",
        f"title: {_yaml_str(title)}",
        f"summary: {_yaml_str(_phrase(rng, words, 14, 24) + '.')}",
        f"tags: [{', '.join(sorted(set(slugify(w) for w in rng.sample(words.rare[:80], 3))))}]",
        f"updated: {(epoch + dt.timedelta(days=rng.randrange(700))).isoformat()}",
        "tools:",
    ]
    for tid, _ in cited:
        lines += [f"  - id: {tid}", f"    why: {_yaml_str(_phrase(rng, words, 10, 18) + '.')}"]
    lines += [f"related: [{', '.join(related)}]", "tables:"]
    for n, kind in enumerate(kinds):
        lines += [f"  t{n}:", f"    kind: {kind}", "    rows:"]
        for _ in range(rng.randint(3, 5)):
            for c, (key, _label) in enumerate(TABLE_KINDS[kind][1]):
                lines.append(f"      {'- ' if c == 0 else '  '}{key}: {_yaml_str(_phrase(rng, words, 3, 9))}")
    lines += ["---", ""]
    body_terms = rng.sample(terms, 5)
    sections = 5
    for s in range(sections):
        if s:
            lines += [f"## {_phrase(rng, words, 2, 5)}", ""]
        for p in range(2):
            sentences = []
            for _ in range(rng.randint(4, 5)):
                sent = words.take(rng, rng.randint(7, 14))
                if rng.random() < 0.3:
                    sent.insert(rng.randrange(len(sent)), rng.choice(body_terms))
                if rng.random() < 0.08:
                    k = rng.randrange(len(sent))
                    sent[k] = f"**{sent[k]}**"
                text = " ".join(sent)
                sentences.append(text[0].upper() + text[1:] + ".")
            if s == 1 and p == 0:
                target = slugs.index(related[0])
                cat = CATEGORIES[target % len(CATEGORIES)][0]
                sentences.append(f"See also [this related guide](../{cat}/{related[0]}.md).")
            lines += [" ".join(sentences), ""]
        if s == 2:
            lines += [f"- {_phrase(rng, words, 4, 9)}" for _ in range(4)] + [""]
        if 1 <= s <= 3:
            lines += [f"{{{{ table: t{s - 1} }}}}", ""]
    return "\n".join(lines)


STOCK_CONFIG = (
    """\
site_name: Synthetic KB
docs_dir: docs
site_dir: site
use_directory_urls: false
theme:
  name: material
  font: false
  language: en
  features: [navigation.indexes{prune}]
plugins:
  - search
"""
    + SHARED_CONFIG
)


def write_stock(kb_root: Path, dest: Path, prune: bool) -> Path:
    """The same articles as plain Markdown for stock mkdocs-material."""
    from ..content.load import MARKER_RE, load

    kb = load(kb_root / "content")
    docs = dest / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (dest / "mkdocs.yml").write_text(
        STOCK_CONFIG.replace("{prune}", ", navigation.prune" if prune else ""), encoding="utf-8"
    )
    (docs / "index.md").write_text(
        "# Synthetic KB\n\n" + "".join(f"- [{c.title}]({c.id}/index.md)\n" for c in kb.categories),
        encoding="utf-8",
    )
    for c in kb.categories:
        (docs / c.id).mkdir(exist_ok=True)
        items = "".join(f"- [{a.title}]({a.slug}.md): {a.summary}\n" for a in kb.in_category(c))
        (docs / c.id / "index.md").write_text(
            f"# Category: {c.title}\n\n{c.description}\n\n{items}", encoding="utf-8"
        )
    for a in kb.articles:
        body = []
        for line in a.body.splitlines():
            match = MARKER_RE.match(line)
            if not match:
                body.append(line)
                continue
            table = a.tables[match.group(1)]
            body += [
                f"**{table.caption}**",
                "",
                "| " + " | ".join(c.label for c in table.kind.columns) + " |",
                "|" + "---|" * len(table.kind.columns),
            ]
            body += ["| " + " | ".join(row) + " |" for row in table.cells()]
        body += ["", "## Related tools", ""]
        for cite in a.tools:
            t = cite.tool
            body += [
                f"### {t.name}",
                "",
                f"*{t.kind}*. {t.description}",
                "",
                f"**Why it is listed:** {cite.why}",
                "",
                f"URL: [{t.url}]({t.url})",
                "",
            ]
        body += ["## Related articles", ""]
        body += [f"- [{r.title}](../{r.category.id}/{r.slug}.md): {r.summary}" for r in a.related]
        text = f"---\ntitle: {_yaml_str(a.title)}\n---\n\n# {a.title}\n\n" + "\n".join(body) + "\n"
        (docs / a.category.id / f"{a.slug}.md").write_text(text, encoding="utf-8")
    return dest
