"""Every kind of bad content stops the build with file, line or field, and a fix,
and leaves a previously built site/ byte-for-byte untouched."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from badinput import CATEGORIES, TAILS, TOOLS, VPN, edit, fails, line_of, site  # noqa: F401 (site: a fixture)
from conftest import run_kbsite, tree_digest


def test_yaml_syntax_error_names_line(site):
    edit(site, TAILS, "summary: A live", "summary: [A live")
    n = line_of(site, TAILS, "summary: [A live")
    fails(site, "devices/what-is-tails.md:", "YAML syntax error")
    out = run_kbsite("check", cwd=site).stderr
    assert re.search(rf"what-is-tails\.md:({n}|{n + 1}|{n + 2}):", out), out


def test_yaml_syntax_error_in_data_file(site):
    (site / "content/_data/tools.yml").write_text("- id: tails\n  name: [Tails\n", encoding="utf-8")
    fails(site, "_data/tools.yml:", "YAML syntax error")


@pytest.mark.parametrize("field", ["title", "summary"])
def test_missing_title_or_summary(site, field):
    text = (site / TAILS).read_text(encoding="utf-8")
    text = re.sub(rf"^{field}: .*\n", "", text, count=1, flags=re.M)
    (site / TAILS).write_text(text, encoding="utf-8")
    fails(site, "devices/what-is-tails.md", f"missing '{field}'")


def test_unknown_category_folder(site):
    (site / "content/nowhere").mkdir()
    shutil.copy(site / VPN, site / "content/nowhere/lost.md")
    fails(site, "nowhere/lost.md", "not a category folder", "_data/categories.yml")


def test_unknown_tool_id(site):
    edit(site, TAILS, "- id: tor-project", "- id: tor-projekt")
    n = line_of(site, TAILS, "tor-projekt")
    fails(site, f"devices/what-is-tails.md:{n}: tools[1].id", "unknown tool id 'tor-projekt'", "tor-project")


def test_unknown_related_slug(site):
    edit(site, TAILS, "related: [tor-vs-vpn]", "related: [tor-versus-vpn]")
    n = line_of(site, TAILS, "related:")
    fails(site, f"devices/what-is-tails.md:{n}: related[0]", "unknown related slug 'tor-versus-vpn'")


def test_unknown_table_kind(site):
    edit(site, TAILS, "kind: features", "kind: feature")
    n = line_of(site, TAILS, "kind: feature")
    fails(
        site,
        f"devices/what-is-tails.md:{n}: tables.features.kind",
        "unknown table kind 'feature'",
        "features",
    )


def test_row_with_missing_column(site):
    edit(site, TAILS, "        role: Leaves fewer traces on the computer\n", "")
    fails(site, "devices/what-is-tails.md", "tables.features.rows[0]", "column 'role' is missing")


def test_row_with_unknown_column(site):
    edit(site, TAILS, "        role: Leaves", "        rol: Leaves")
    n = line_of(site, TAILS, "rol: Leaves")
    fails(site, f"devices/what-is-tails.md:{n}: tables.features.rows[0].rol", "unknown column 'rol'")


def test_marker_without_data(site):
    edit(site, VPN, "{{ table: risks }}", "{{ table: risks }}\n\n{{ table: extra }}")
    n = line_of(site, VPN, "{{ table: extra }}")
    fails(site, f"network/tor-vs-vpn.md:{n}:", "marker names table 'extra'")


def test_table_data_never_placed(site):
    edit(site, VPN, "{{ table: risks }}", "")
    n = line_of(site, VPN, "  risks:")
    fails(site, f"network/tor-vs-vpn.md:{n}: tables.risks", "never placed", "{{ table: risks }}")


def test_two_articles_with_one_slug(site):
    shutil.copy(site / VPN, site / "content/devices/tor-vs-vpn.md")
    fails(site, "tor-vs-vpn.md", "slug 'tor-vs-vpn' is already used")


def test_invalid_date(site):
    edit(site, TAILS, "updated: 2026-10-02", "updated: 2026-13-02")
    n = line_of(site, TAILS, "updated:")
    fails(site, f"devices/what-is-tails.md:{n}: updated", "not a valid date", "YYYY-MM-DD")


def test_file_not_utf8(site):
    path = site / VPN
    path.write_bytes(path.read_bytes().replace(b"three relays", "tr\xe8s relais".encode("latin-1")))
    n = line_of_bytes(path, b"tr\xe8s")
    fails(site, f"network/tor-vs-vpn.md:{n}:", "not valid UTF-8", "UTF-8")


def line_of_bytes(path: Path, needle: bytes) -> int:
    data = path.read_bytes()
    return data[: data.index(needle)].count(b"\n") + 1


def test_tool_url_not_http(site):
    edit(site, "content/_data/tools.yml", "url: https://tails.net/", "url: javascript:alert(1)")
    n = line_of(site, "content/_data/tools.yml", "javascript:")
    fails(site, f"_data/tools.yml:{n}: [1].url", "not an http(s) address")


def test_empty_table(site):
    edit(
        site,
        VPN,
        """    rows:
      - risk: Provider logs
        example: A VPN keeps connection records
        reason: You trust the provider instead of your network
""",
        "    rows: []\n",
    )
    fails(site, "network/tor-vs-vpn.md", "tables.risks.rows", "table has no rows")


def test_check_lists_every_error_at_once_and_writes_nothing(site):
    edit(site, TAILS, "- id: tor-project", "- id: nope")
    edit(site, VPN, "updated: 2026-09-01", "updated: yesterday")
    edit(site, "content/_data/tools.yml", "url: https://mullvad.net/", "url: ftp://mullvad.net/")
    shutil.rmtree(site / "site")
    result = run_kbsite("check", cwd=site)
    assert result.returncode == 1
    assert "3 content errors" in result.stderr
    for text in ("unknown tool id 'nope'", "'yesterday' is not a valid date", "ftp://mullvad.net/"):
        assert text in result.stderr
    assert not (site / "site").exists()


def test_plain_mkdocs_build_also_stops(site):
    import subprocess
    import sys

    edit(site, TAILS, "- id: tor-project", "- id: nope")
    before = tree_digest(site / "site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"], cwd=site, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "unknown tool id 'nope'" in result.stderr
    assert tree_digest(site / "site") == before


# ---- Hostile content (issue 16): markup, dangerous links, addresses, check/build parity.


@pytest.mark.parametrize(
    "title",
    [
        'Tor <b>vs</b> VPN <a href="javascript:alert(7)">clickme</a>',
        "Tor &lt;/title&gt; VPN",  # Material's `striptags` would turn it into markup
    ],
)
def test_markup_in_an_article_title(site, title):
    edit(site, VPN, "title: Tor vs VPN", f"title: '{title}'")
    n = line_of(site, VPN, "title: ")
    fails(site, f"network/tor-vs-vpn.md:{n}: title", "holds HTML markup", "plain text")
    assert "clickme" not in (site / "site/network/tor-vs-vpn.html").read_text()


def test_markup_in_a_category_title_names_categories_yml(site):
    edit(site, CATEGORIES, "title: Devices", "title: Devices <img src=x onerror=alert(1)>")
    n = line_of(site, CATEGORIES, "title: Devices")
    out = fails(site, f"_data/categories.yml:{n}: [1].title", "holds HTML markup")
    assert "Offline audit" not in out  # stopped at the field, not by 115 findings in the pages


def test_markup_in_a_tool_name(site):
    edit(site, TOOLS, "name: Tails", "name: <script>Tails</script>")
    n = line_of(site, TOOLS, "name: <script>")
    fails(site, f"_data/tools.yml:{n}: [1].name", "holds HTML markup")


def test_plain_less_than_in_a_title_is_text(site):
    edit(site, VPN, "title: Tor vs VPN", "title: Tor < VPN & more")
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    page = (site / "site/network/tor-vs-vpn.html").read_text()
    assert re.search(r"<h1[^>]*>Tor &lt; VPN &amp; more</h1>", page)


@pytest.mark.parametrize(
    "link, scheme",
    [
        ("[x](javascript:alert(1))", "javascript"),
        ('<a href="javascript:alert(2)">y</a>', "javascript"),
        ('<a href=" JaVaScRiPt:alert(3)">z</a>', "javascript"),
        ("[f](file:///etc/passwd)", "file"),
        ("[d](data:text/html;base64,PHNjcmlwdD4=)", "data"),
        ('<a href="vbscript:msgbox(1)">v</a>', "vbscript"),
    ],
)
def test_dangerous_link_in_an_article(site, link, scheme):
    edit(site, VPN, "for details.", f"for details.\n\nSee {link} too.")
    n = line_of(site, VPN, "too.")
    expected = (f"network/tor-vs-vpn.md:{n}: <a href>", f"is a {scheme}: link")
    out = fails(site, *expected)
    assert "link to an http(s) address" in out
    fails(site, *expected, command="check")  # found from the sources too


BAD_ONIONS = [
    ("http://example.onion/", "not 56 base32 characters"),
    ("http://.onion/", "not 56 base32 characters"),
    ("HTTP://ABC.ONION", "not in lower case"),
    ("http://" + "a" * 56 + ".onion/", "version"),
    ("https://www.torproject.org/", "not a .onion address"),
]


@pytest.mark.parametrize("address, problem", BAD_ONIONS)
def test_bad_onion_address(site, address, problem):
    edit(site, TOOLS, "  url: https://tails.net/\n", f"  url: https://tails.net/\n  onion: '{address}'\n")
    n = line_of(site, TOOLS, "onion:")
    fails(site, f"_data/tools.yml:{n}: [1].onion", problem, "v3 address")


def test_onion_address_with_a_wrong_checksum(site):
    from kbsite.content import onion

    good = onion.address(bytes(range(32)))
    broken = good[:10] + ("b" if good[10] != "b" else "c") + good[11:]  # one mistyped character
    edit(
        site, TOOLS, "  url: https://tails.net/\n", f"  url: https://tails.net/\n  onion: http://{broken}/\n"
    )
    n = line_of(site, TOOLS, "onion:")
    fails(site, f"_data/tools.yml:{n}: [1].onion", "checksum")


def test_valid_onion_address_is_published(site):
    from kbsite.content import onion

    address = f"http://{onion.address(bytes(range(32)))}/path"
    edit(site, TOOLS, "  url: https://tails.net/\n", f"  url: https://tails.net/\n  onion: {address}\n")
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert address in (site / "site/tools/tails.html").read_text()


def test_http_tool_url_is_a_warning_strict_makes_it_an_error(site):
    edit(site, TOOLS, "url: https://tails.net/", "url: http://tails.net/")
    n = line_of(site, TOOLS, "url: http://tails.net/")
    expected = (f"_data/tools.yml:{n}: [1].url", "is not encrypted", "`https://tails.net/`")
    fails(site, *expected)  # the site's mkdocs.yml says `strict: true`
    fails(site, *expected, command="check")
    edit(site, "mkdocs.yml", "strict: true", "strict: false")
    check = run_kbsite("check", cwd=site)
    assert check.returncode == 0 and "WARNING" in check.stderr and "is not encrypted" in check.stderr
    assert run_kbsite("check", "--strict", cwd=site).returncode == 1
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    card = (site / "site/devices/what-is-tails.html").read_text()
    assert 'http://tails.net/</a> <strong class="kb-unencrypted">(unencrypted)</strong>' in card


@pytest.mark.parametrize(
    "markdown, expected",
    [
        ("![logo](https://images.example.org/logo.png)", "<img src> 'https://images.example.org/logo.png'"),
        ('<iframe src="https://video.example.org/v"></iframe>', "<iframe src>"),
        ('<p style="color: red">Red.</p>', "inline style"),
        ("[gone](../devices/no-such-article.md)", "link '../devices/no-such-article.md' is not a page"),
        ("[anchor](../devices/what-is-tails.md#no-such-anchor)", "does not have"),
    ],
)
def test_check_finds_what_build_finds(site, markdown, expected):
    edit(site, VPN, "for details.", f"for details.\n\n{markdown}\n")
    n = line_of(site, VPN, markdown[:12])
    where = f"network/tor-vs-vpn.md:{n}:"
    assert run_kbsite("check", cwd=site).returncode == 1
    fails(site, where, expected, command="check")
    fails(site, where, expected)


def test_missing_anchor_fails_a_plain_mkdocs_build(site):
    import subprocess
    import sys

    edit(site, VPN, "for details.", "for details. [x](../devices/what-is-tails.md#nowhere)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-d", "out"], cwd=site, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "does not contain an anchor '#nowhere'" in result.stderr


def test_pdf_fails_on_a_refused_image(site):
    edit(site, VPN, "for details.", "for details.\n\n![x](https://images.example.org/x.png)\n")
    n = line_of(site, VPN, "images.example.org")
    pdf = site / "site/downloads/mini-kb-handbook.pdf"
    before = pdf.read_bytes()
    fails(site, f"network/tor-vs-vpn.md:{n}:", "cannot go into the handbook", command="pdf")
    assert pdf.read_bytes() == before


def test_audit_names_each_line_of_a_repeated_url(site):
    image = "![x](https://images.example.org/same.png)"
    edit(site, VPN, "for details.", f"for details.\n\n{image}\n\nMore text.\n\n{image}\n")
    first = line_of(site, VPN, "same.png")
    out = fails(
        site, f"network/tor-vs-vpn.md:{first}: <img src>", f"network/tor-vs-vpn.md:{first + 4}: <img src>"
    )
    assert out.count(f"tor-vs-vpn.md:{first}: <img src>") == 1


def test_related_self_and_duplicates_are_ignored_with_a_warning(site):
    edit(site, TAILS, "related: [tor-vs-vpn]", "related: [what-is-tails, tor-vs-vpn, tor-vs-vpn]")
    n = line_of(site, TAILS, "related:")
    fails(site, f"devices/what-is-tails.md:{n}: related[0]", "the article itself", f"{n}: related[2]")
    edit(site, "mkdocs.yml", "strict: true", "strict: false")
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    page = (site / "site/devices/what-is-tails.html").read_text()
    related = page.split('id="related-articles"', 1)[1].split("</ul>", 1)[0]
    assert "what-is-tails.html" not in related and related.count("tor-vs-vpn.html") == 1


def test_date_in_the_future(site):
    edit(site, TAILS, "updated: 2026-10-02", "updated: 2030-01-01")
    n = line_of(site, TAILS, "updated:")
    fails(site, f"devices/what-is-tails.md:{n}: updated", "2030-01-01 is in the future", "last real change")


def test_byte_order_mark_is_accepted(site):
    path = site / VPN
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert re.search(r"<h1[^>]*>Tor vs VPN</h1>", (site / "site/network/tor-vs-vpn.html").read_text())


def test_no_dated_articles_gives_a_fixed_date(site):
    import os
    import subprocess

    from conftest import KBSITE, ROOT

    for article in (site / "content").glob("*/*.md"):
        article.unlink()
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"} | {"PYTHONPATH": str(ROOT)}
    digests = []
    for _ in range(2):
        result = subprocess.run([*KBSITE, "build"], cwd=site, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "no article has an `updated:` date, so the build is dated 1980-01-01" in result.stderr
        digests.append(tree_digest(site / "site"))
    assert digests[0] == digests[1]
