"""Plain-module tests, no build: YAML lines, glossary linking, related articles."""

from __future__ import annotations

import datetime as dt

import markdown
import pytest

from kbsite.content import yamlsrc
from kbsite.content.model import Article, Category, GlossaryTerm, KnowledgeBase, resolve_related
from kbsite.site.markdown_ext import KbExtension


def test_yaml_lines_follow_keys_and_items():
    data, lines = yamlsrc.load("title: T\ntools:\n  - id: a\n    why: b\n  - id: c\n", first_line=2)
    assert data["tools"][1]["id"] == "c"
    assert lines[("title",)] == 2
    assert lines[("tools", 0, "id")] == 4
    assert lines[("tools", 1, "id")] == 6
    assert yamlsrc.line_of(lines, ("tools", 1, "missing")) == 6
    assert yamlsrc.field_name(("tables", "x", "rows", 0, "role")) == "tables.x.rows[0].role"


def test_yaml_keeps_impossible_date_as_text():
    data, _ = yamlsrc.load("updated: 2026-02-30\n")
    assert data["updated"] == "2026-02-30"


TRICKY_YAML = """\
title: "Quoted: text"
plain: words here
count: 3
ratio: 1.5
yes_word: yes
nothing: null
empty:
day: 2026-10-02
bad_day: 2026-13-02
base: {kind: features, caption: Shared}
table:
  <<: {kind: features, caption: Shared}
  rows: [{a: x, b: 2}, {a: "y", b: ~}]
again: {caption: Shared}
list: [one, two]
list2: [one, two]
1: numeric key
nested: {deep: [[a, b], [c]]}
"""


def test_yaml_data_equals_pyyaml():
    import yaml

    data, lines = yamlsrc.load(TRICKY_YAML, first_line=5)
    # PyYAML's own constructor with kbsite's one rule (an impossible date stays text).
    assert data == yaml.load(TRICKY_YAML, Loader=yamlsrc._Loader)
    assert (
        data["table"]["caption"] == "Shared" and data[1] == "numeric key" and data["bad_day"] == "2026-13-02"
    )
    assert lines[("table", "rows", 1, "b")] == 5 + 12
    assert lines[("list2",)] == 5 + 15
    assert lines[("again", "caption")] == 5 + 13


@pytest.mark.parametrize(
    "text, line",
    [
        ("title: T\nloop: &x [a, *x]\n", 3),  # an alias to the list holding it
        ("a: &a x\nb:\n  - *a\n", 4),
        ("a: &a {k: v}\nb:\n  <<: *a\n", 4),  # merge keys need aliases too
    ],
)
def test_yaml_aliases_are_refused_with_their_line(text, line):
    with pytest.raises(yamlsrc.YamlSyntaxError) as info:
        yamlsrc.load(text, first_line=2)
    assert "YAML alias *a is not allowed" in str(info.value) or "YAML alias *x" in str(info.value)
    assert info.value.line == line and "write the value out in full" in info.value.hint


def test_yaml_star_in_text_is_not_an_alias():
    data, _ = yamlsrc.load('summary: Use *Tor* and "*x"\ntags: [a*b]\n')
    assert data == {"summary": 'Use *Tor* and "*x"', "tags": ["a*b"]}


def render(text: str, glossary_url: str | None = "../glossary.md") -> str:
    ext = KbExtension(
        [
            GlossaryTerm("Tor", "d"),
            GlossaryTerm("Tor Browser", "d"),
            GlossaryTerm("OPSEC", "d", ("operational security",)),
        ]
    )
    ext.glossary_url = glossary_url
    return markdown.markdown(text, extensions=[ext])


def test_first_use_of_each_term_links_longest_match_first():
    html = render("Tor Browser uses Tor. Tor again, and operational security, then OPSEC.")
    assert html.count('href="../glossary.md#tor-browser"') == 1
    assert html.count('href="../glossary.md#tor"') == 1
    assert html.count('href="../glossary.md#opsec"') == 1
    assert '<a class="kb-term" href="../glossary.md#opsec">operational security</a>' in html


def test_terms_in_code_headings_and_links_are_left_alone():
    html = render("# Tor\n\n`Tor` and [Tor](x.md) and *Tor* here")
    assert "<h1>Tor</h1>" in html and "<code>Tor</code>" in html and '<a href="x.md">Tor</a>' in html
    assert '<em><a class="kb-term" href="../glossary.md#tor">Tor</a></em>' in html


def test_words_containing_a_term_are_not_linked():
    assert "kb-term" not in render("A torrent, a Toronto visit, a mentor.")


def test_no_glossary_url_means_no_links_but_external_links_marked():
    html = render("Tor and [site](https://example.org/)", glossary_url=None)
    assert "kb-term" not in html
    assert 'rel="noopener noreferrer"' in html and "(external site)" in html


def test_related_fills_to_three_by_category_then_tags():
    net, dev = Category("net", "Net", "d", 1), Category("dev", "Dev", "d", 2)

    def art(slug, cat, tags, related=()):
        return Article(
            slug,
            cat,
            slug.title(),
            "s",
            tuple(tags),
            dt.date(2026, 1, 1),
            "",
            1,
            related_slugs=tuple(related),
        )

    arts = [
        art("a", net, ["x"], ["e"]),
        art("b", net, []),
        art("c", dev, ["x"]),
        art("d", dev, []),
        art("e", dev, []),
    ]
    kb = KnowledgeBase("S", [net, dev], {}, [], {}, arts)
    resolve_related(kb)
    assert [r.slug for r in arts[0].related] == ["e", "b", "c"]  # explicit, same category, shared tag
    assert all(len(a.related) >= 3 and a not in a.related for a in arts)


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Tor Über", "tor-uber"),
        ("Crème brûlée à la VPN", "creme-brulee-a-la-vpn"),
        ("Straße, Ærø & Łódź", "strasse-aero-lodz"),
        ("Что такое Tor?", "что-такое-tor"),  # no one Latin spelling: kept, readable
        ("नमस्ते दुनिया", "नमस्ते-दुनिया"),  # vowel signs stay on their letters
        ("東京 Tor", "東京-tor"),
        ("  OPSEC -- basics  ", "opsec-basics"),
        ("<b>x</b>", "b-x-b"),
    ],
)
def test_slugify_transliterates_and_keeps_other_scripts(text, slug):
    from kbsite.content.model import slugify

    assert slugify(text) == slug


def test_new_refuses_a_title_without_a_latin_file_name(tmp_path):
    from conftest import copy_site

    from kbsite.content.skeleton import write_skeleton

    root = copy_site(tmp_path)
    with pytest.raises(ValueError, match="give a title in Latin letters"):
        write_skeleton(root / "content", "Что такое Tor", "network")
    assert write_skeleton(root / "content", "Tor Über alles", "network").name == "tor-uber-alles.md"


def test_glossary_shows_aliases_but_not_their_other_forms():
    from kbsite.site.pages import distinct_aliases

    assert (
        distinct_aliases(
            "Compartmentalization", ["compartmentalisation", "compartmentalizing", "compartmentalising"]
        )
        == []
    )
    assert distinct_aliases("Exit node", ["exit relay", "exit relays", "exit nodes"]) == ["exit relay"]
    assert distinct_aliases("Public Wi-Fi", ["public wifi", "public networks"]) == [
        "public wifi",
        "public networks",
    ]
    assert distinct_aliases("Qubes OS", ["Qubes"]) == ["Qubes"]
