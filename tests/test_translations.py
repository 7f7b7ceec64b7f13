"""Translations beside their originals: read into the model, checked against the original,
counted for translators by `kbsite check`; bad ones stop the build with file, line and fix."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import copy_site, run_kbsite, tree_digest

from kbsite.content import languages, load
from kbsite.content.errors import ContentErrors
from kbsite.content.model import sort_key

JA = """---
title: Tails とは
summary: すべての通信を Tor に通し、終了するたびに痕跡を消すライブシステム。
translates: 2026-10-02
tools:
  - id: tails
    why: 公式のダウンロードと解説。
tables:
  features:
    kind: features
    caption: Tails の主な機能
    rows:
      - feature: 記憶を残さないセッション
        meaning: 起動するたびにまっさらな状態から始まる
        role: コンピューターに残る痕跡が減る
  myths:
    kind: misunderstandings
    rows:
      - myth: Tails を使えばどんな投稿も安全
        reality: 書いた内容からあなたが特定されることはある
  checks:
    kind: checks
    rows:
      - item: 何を保存するか決める
        reason: 永続データは再起動後も残る
---

Tails はすべての接続を Tor に通します。

{{ table: features }}

{{ table: myths }}

{{ table: checks }}
"""

FA_TOOLS = """- id: tails
  kind: سیستم‌عامل ناشناس
  description: سیستم‌عاملی که از حافظهٔ USB اجرا می‌شود و همه چیز را از تور عبور می‌دهد.
"""


def with_languages(root: Path, *codes: str) -> None:
    config = root / "mkdocs.yml"
    text = config.read_text()
    listed = "".join(f"\n        - {c}" for c in codes)
    config.write_text(text.replace("  - kbsite\n", f"  - kbsite:\n      languages:{listed}\n"))


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "content" / rel
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def mini_ja(tmp_path: Path) -> Path:
    root = copy_site(tmp_path, "mini")
    with_languages(root, "ja", "fa")
    write(root, "devices/what-is-tails.ja.md", JA)
    write(root, "_data/tools.fa.yml", FA_TOOLS)
    return root


def kb_of(root: Path):
    return load.load(root / "content", "Mini KB", languages.declared("en", ["ja", "fa"]))


def errors_of(root: Path) -> str:
    with pytest.raises(ContentErrors) as exc:
        kb_of(root)
    return exc.value.format()


def test_languages_are_declared_with_names_and_directions():
    en, ja, fa, ps = languages.declared("en", ["ja", {"code": "fa"}, {"code": "ps", "name": "پښتو"}])
    assert (en.name, en.direction) == ("English", "ltr")
    assert (ja.name, ja.direction) == ("日本語", "ltr")
    assert (fa.name, fa.direction) == ("فارسی", "rtl")
    assert (ps.name, ps.direction) == ("پښتو", "rtl")
    assert languages.language("he", direction="ltr").direction == "ltr"  # the inference can be overridden
    with pytest.raises(languages.LanguageError, match="declared twice"):
        languages.declared("en", ["ja", "ja"])
    with pytest.raises(languages.LanguageError, match="not a language code"):
        languages.declared("en", ["Japanese"])


def test_a_translation_is_read_beside_its_original(mini_ja):
    kb = kb_of(mini_ja)
    tails = kb.by_slug()["what-is-tails"]
    ja = kb.translations["ja"][tails.src_uri]
    assert ja.lang == "ja" and ja.original is tails and ja.title == "Tails とは"
    assert ja.category is tails.category and ja.related_slugs == tails.related_slugs
    assert ja.tables["features"].rows[0]["feature"] == "記憶を残さないセッション"
    # A tool's reason is translated where given; the others keep the original's.
    assert [c.why for c in ja.tools] == ["公式のダウンロードと解説。", tails.tools[1].why]
    assert not ja.outdated
    assert kb.data_translations["fa"]["tools"]["tails"]["kind"] == "سیستم‌عامل ناشناس"
    assert len(kb.articles) == 3  # a translation is not another article


def test_check_counts_translated_outdated_and_missing(mini_ja):
    write(
        mini_ja, "devices/what-is-tails.ja.md", JA.replace("translates: 2026-10-02", "translates: 2026-05-01")
    )
    result = run_kbsite("check", cwd=mini_ja)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ja (日本語)" in out and "fa (فارسی)" in out
    ja_row = next(line for line in out.splitlines() if line.startswith("ja ("))
    assert ja_row.split()[2:] == ["1/3", "1", "2"], ja_row
    assert "outdated: devices/what-is-tails.ja.md translates 2026-05-01" in out


def test_the_build_publishes_no_translation_source(mini_ja):
    result = run_kbsite("build", cwd=mini_ja)
    assert result.returncode == 0, result.stderr
    assert not list((mini_ja / "site").rglob("*.ja.html"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # an undeclared language suffix
        (
            lambda r: shutil.copy(
                r / "content/devices/what-is-tails.ja.md", r / "content/devices/what-is-tails.de.md"
            ),
            ["devices/what-is-tails.de.md:1", "'.de' is not a declared language", "languages:"],
        ),
        # a translation whose original does not exist
        (
            lambda r: write(r, "devices/what-is-whonix.ja.md", JA),
            ["devices/what-is-whonix.ja.md:1", "no original 'devices/what-is-whonix.md'"],
        ),
        # table names that differ from the original's
        (
            lambda r: write(r, "devices/what-is-tails.ja.md", JA.replace("  checks:\n", "  checklist:\n")),
            [
                "what-is-tails.ja.md",
                "table(s) checks of the original are not translated",
                "table 'checklist' is not in the original",
            ],
        ),
        # translates: later than the original's updated
        (
            lambda r: write(
                r,
                "devices/what-is-tails.ja.md",
                JA.replace("translates: 2026-10-02", "translates: 2026-12-01"),
            ),
            [
                "what-is-tails.ja.md:4",
                "after the original's last update (2026-10-02)",
                "translates: 2026-10-02",
            ],
        ),
        # no translates: at all
        (
            lambda r: write(r, "devices/what-is-tails.ja.md", JA.replace("translates: 2026-10-02\n", "")),
            ["what-is-tails.ja.md:2", "missing 'translates'"],
        ),
        # a field that comes from the original
        (
            lambda r: write(
                r,
                "devices/what-is-tails.ja.md",
                JA.replace("translates:", "related: [tor-vs-vpn]\ntranslates:"),
            ),
            [
                "what-is-tails.ja.md:4",
                "unknown field 'related' in a translation",
                "it comes from the original",
            ],
        ),
        # a tool the original does not cite
        (
            lambda r: write(r, "devices/what-is-tails.ja.md", JA.replace("id: tails", "id: mullvad-vpn")),
            ["what-is-tails.ja.md:6", "tool 'mullvad-vpn' is not cited by the original"],
        ),
        # a data entry that does not exist
        (
            lambda r: write(r, "_data/tools.fa.yml", FA_TOOLS.replace("id: tails", "id: whonix")),
            ["_data/tools.fa.yml:1", "id 'whonix' is not in _data/tools.yml"],
        ),
        # a data field a translation may not change
        (
            lambda r: write(r, "_data/tools.fa.yml", FA_TOOLS + "  url: https://example.org/\n"),
            ["_data/tools.fa.yml:4", "unknown field 'url'"],
        ),
    ],
    ids=[
        "undeclared",
        "no-original",
        "tables-differ",
        "translates-later",
        "no-translates",
        "related",
        "tool-not-cited",
        "data-entry-missing",
        "data-field",
    ],
)
def test_bad_translations_stop_the_build(mini_ja, change, expected):
    assert run_kbsite("build", cwd=mini_ja).returncode == 0
    before = tree_digest(mini_ja / "site")
    change(mini_ja)
    result = run_kbsite("build", cwd=mini_ja)
    assert result.returncode == 1, result.stdout
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    assert "fix:" in result.stderr
    assert tree_digest(mini_ja / "site") == before


# ---------------------------------------------------------------- the starter site in ja and fa

LANGS = ("ja", "fa")
HTML_LANG = re.compile(r'<html lang="([^"]+)" dir="([^"]+)"')


def _pages(folder: Path) -> set[str]:
    """Page paths of one language's folder (the others' folders left out)."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*.html")
        if p.relative_to(folder).parts[0] not in LANGS
    }


def test_every_language_has_every_page(starter_site):
    original = _pages(starter_site)
    assert len(original) > 40
    for lang in LANGS:
        assert _pages(starter_site / lang) == original, lang


@pytest.mark.parametrize(("lang", "direction"), [("", "ltr"), ("ja", "ltr"), ("fa", "rtl")])
def test_pages_carry_their_language_and_direction(starter_site, lang, direction):
    folder = starter_site / lang if lang else starter_site
    for rel in ("index.html", "devices/what-is-tails.html", "a-z.html", "tools/tails.html"):
        m = HTML_LANG.search((folder / rel).read_text(encoding="utf-8"))
        assert m and m.groups() == (lang or "en", direction), (lang, rel, m and m.groups())


def test_language_links_go_to_the_same_page(starter_site):
    for folder in (starter_site, starter_site / "ja", starter_site / "fa"):
        page = folder / "devices/what-is-tails.html"
        nav = re.search(r'<nav class="kb-languages".*?</nav>', page.read_text(encoding="utf-8"), re.S)
        assert nav, page
        targets = re.findall(r'<a href="([^"]+)" lang="([^"]+)"', nav.group(0))
        assert [code for _, code in targets] == ["en", "ja", "fa"]
        for href, code in targets:
            target = (page.parent / href).resolve()
            expected = (
                starter_site / ("" if code == "en" else code) / "devices/what-is-tails.html"
            ).resolve()
            assert target == expected, (page, href)


def test_an_untranslated_article_falls_back_with_a_notice(starter_site):
    html = (starter_site / "ja/devices/what-is-qubes-os.html").read_text(encoding="utf-8")
    assert "この記事はまだ翻訳されていません。以下は英語の原文です。" in html
    assert '<div lang="en" dir="ltr">' in html  # the English text is marked as English
    assert "What Is Qubes OS?</h1>" in html
    fa = (starter_site / "fa/devices/what-is-qubes-os.html").read_text(encoding="utf-8")
    assert "این مقاله هنوز ترجمه نشده است" in fa and "انگلیسی" in fa
    translated = (starter_site / "ja/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert "まだ翻訳されていません" not in translated and "Tails とは</h1>" in translated


def test_an_outdated_translation_says_so_and_links_the_original(starter_site):
    page = starter_site / "ja/network/tor-browser-security-levels.html"
    html = page.read_text(encoding="utf-8")
    m = re.search(r'<p class="kb-notice kb-notice--outdated">(.*?)<a href="([^"]+)"', html, re.S)
    assert m, "no outdated notice"
    assert "英語の原文は、この翻訳の後の 2026-06-18 に更新されています。" in m.group(1)
    assert (page.parent / m.group(2)).resolve() == (starter_site / "network/tor-browser-security-levels.html")
    fresh = (starter_site / "ja/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert "kb-notice--outdated" not in fresh


def test_interface_words_and_data_are_translated(starter_site):
    ja = (starter_site / "ja/devices/what-is-tails.html").read_text(encoding="utf-8")
    for words in ("関連ツール", "カテゴリー:", "載せている理由:", "Tails の主な機能"):
        assert words in ja, words
    assert "Related tools" not in ja
    fa = (starter_site / "fa/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert "ابزارهای مرتبط" in fa and "سیستم‌عامل" in fa


def test_persian_sorts_in_its_alphabet_order():
    # Unicode puts پ چ ژ گ after the Arabic letters; Persian puts each after its base letter.
    words = ["گل", "کتاب", "ژاله", "چای", "پدر", "باران", "آب", "یاس"]
    assert sorted(words, key=sort_key) == ["آب", "باران", "پدر", "چای", "ژاله", "کتاب", "گل", "یاس"]
    assert sort_key("كتاب") == sort_key("کتاب")  # Arabic kaf and Persian keheh sort alike


def test_an_index_lists_its_languages_own_script_first():
    fa, ja, ru = (
        languages.Language(c, n, d)
        for c, n, d in [("fa", "فارسی", "rtl"), ("ja", "日本語", "ltr"), ("ru", "Русский", "ltr")]
    )
    assert (fa.script, ja.script, ru.script) == ("ARABIC", "", "CYRILLIC")
    words = ["VPN", "پدر", "1Password", "Tor", "آب"]
    assert sorted(words, key=lambda w: sort_key(w, fa.script)) == ["آب", "پدر", "1Password", "Tor", "VPN"]
    assert sorted(words, key=sort_key) == ["1Password", "Tor", "VPN", "آب", "پدر"]  # no language: as before


def test_japanese_titles_sort_by_their_reading(starter_site):
    az = (starter_site / "ja/a-z.html").read_text(encoding="utf-8")
    # sort_as: きょういもでるの きほん (脅威モデルの基本) files the article under き
    assert re.search(r'id="[^"]*">き</h2>.*?脅威モデル', az, re.S), "not filed under its reading"


@pytest.mark.parametrize(("lang", "words", "font"), [("ja", "Tails とは", "CJK"), ("fa", "تیلز", "DejaVu")])
def test_each_language_has_its_handbook_with_its_glyphs(starter_site, lang, words, font):
    pdf = starter_site / lang / f"downloads/anonymity-sense-{lang}-handbook.pdf"
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    assert font in fonts and all(" yes " in line for line in fonts.splitlines()[2:]), fonts
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert words in text
    assert "\ufffd" not in text  # no missing glyph


def test_headings_in_any_script_get_readable_anchors(starter_site):
    ja = (starter_site / "ja/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert 'id="tails-の仕組み"' in ja and 'href="#tails-の仕組み"' in ja  # the contents link it
    fa = (starter_site / "fa/devices/what-is-tails.html").read_text(encoding="utf-8")
    assert 'id="تیلز-چگونه-کار-میکند"' in fa
    en = (starter_site / "devices/what-is-tails.html").read_text(encoding="utf-8")
    assert 'id="how-tails-works"' in en  # Latin-script anchors as Python-Markdown makes them


def test_right_to_left_pages_are_mirrored(starter_site, chromium):
    """Measured in Chromium at 1280 px: the navigation sits right of the text in Persian."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sides = {}
    for lang in ("", "fa"):
        page.goto((starter_site / lang / "devices/what-is-tails.html").as_uri())
        nav = page.locator(".md-sidebar--primary").bounding_box()
        text = page.locator("article h1").bounding_box()
        table = page.locator("table.kb-table th").first.bounding_box()
        assert nav and text and table
        sides[lang] = (nav["x"] > text["x"], table["x"] + table["width"])
    context.close()
    assert sides[""][0] is False and sides["fa"][0] is True
    # The first column of a table is the rightmost one in Persian.
    assert sides["fa"][1] > sides[""][1]


def _msgids(po: Path) -> list[str]:
    """Every msgid in `po` as gettext reads it (continuation lines joined)."""
    text = po.read_text(encoding="utf-8")
    return [
        "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        for m in re.finditer(r'^msgid ((?:".*"\n)+)', text, re.M)
    ]


@pytest.mark.parametrize("lang", ["ja", "fa"])
def test_catalogs_have_each_message_once_with_its_placeholders(lang):
    """A message twice is silently the last one for Babel (gettext's msgfmt refuses it);
    a translation that drops or renames a %(name)s fails only when that page is built."""
    from babel.messages.pofile import read_po

    from kbsite.site.i18n import LOCALE

    po = LOCALE / f"{lang}.po"
    ids = [i for i in _msgids(po) if i]
    assert len(ids) > 100
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    problems = [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert problems == [] and untranslated == []
