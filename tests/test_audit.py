"""The offline audit: every kind of reference that would load from elsewhere is caught
and names its file; what is allowed stays allowed; a failing audit fails the build."""

from __future__ import annotations

import pytest
from conftest import run_kbsite, tree_digest

from kbsite.safety import audit, policy

HEAD = (
    f'<head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{policy.META_CSP}">'
    f'<meta name="referrer" content="{policy.REFERRER_POLICY}"></head>'
)
EXT = "https://cdn.example.org/x"


def page(body: str) -> str:
    return f"<!doctype html><html>{HEAD}<body>{body}</body></html>"


# (kind, output file, text, what the finding calls it, the URL it reports)
CAUGHT = [
    ("script", "a/page.html", page(f'<script src="{EXT}.js"></script>'), "<script src>", f"{EXT}.js"),
    (
        "stylesheet",
        "page.html",
        page(f'<link rel="stylesheet" href="{EXT}.css">'),
        "<link href>",
        f"{EXT}.css",
    ),
    (
        "icon",
        "page.html",
        page('<link rel="icon" href="//cdn.example.org/favicon.ico">'),
        "<link href>",
        "//cdn.example.org/favicon.ico",
    ),
    (
        "preload",
        "page.html",
        page(f'<link rel="preload" as="font" href="{EXT}.woff2">'),
        "<link href>",
        f"{EXT}.woff2",
    ),
    ("prefetch", "page.html", page(f'<link rel="prefetch" href="{EXT}.html">'), "<link href>", f"{EXT}.html"),
    (
        "preconnect",
        "page.html",
        page('<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>'),
        "<link href>",
        "https://fonts.gstatic.com",
    ),
    (
        "dns-prefetch",
        "page.html",
        page('<link rel="dns-prefetch" href="//fonts.googleapis.com">'),
        "<link href>",
        "//fonts.googleapis.com",
    ),
    ("img", "page.html", page(f'<img src="{EXT}.png" alt="">'), "<img src>", f"{EXT}.png"),
    (
        "srcset",
        "page.html",
        page(f'<img src="a.png" srcset="a.png 1x, {EXT}@2x.png 2x" alt="">'),
        "<img srcset>",
        f"{EXT}@2x.png",
    ),
    (
        "source",
        "page.html",
        page(f'<picture><source srcset="{EXT}.webp"><img src="a.png" alt=""></picture>'),
        "<source srcset>",
        f"{EXT}.webp",
    ),
    ("audio", "page.html", page(f'<audio src="{EXT}.ogg"></audio>'), "<audio src>", f"{EXT}.ogg"),
    ("video", "page.html", page(f'<video poster="{EXT}.jpg"></video>'), "<video poster>", f"{EXT}.jpg"),
    (
        "track",
        "page.html",
        page(f'<video src="v.webm"><track src="{EXT}.vtt"></video>'),
        "<track src>",
        f"{EXT}.vtt",
    ),
    ("iframe", "page.html", page(f'<iframe src="{EXT}.html"></iframe>'), "<iframe src>", f"{EXT}.html"),
    ("object", "page.html", page(f'<object data="{EXT}.pdf"></object>'), "<object data>", f"{EXT}.pdf"),
    ("embed", "page.html", page(f'<embed src="{EXT}.swf">'), "<embed src>", f"{EXT}.swf"),
    ("css url", "assets/site.css", f'body {{ background: url("{EXT}.png") }}', "CSS url()", f"{EXT}.png"),
    ("css import", "assets/site.css", f'@import "{EXT}.css";', "CSS @import", f"{EXT}.css"),
    (
        "css url in style element",
        "assets/logo.svg",
        f'<svg xmlns="http://www.w3.org/2000/svg"><style>p{{background:url({EXT}.png)}}</style></svg>',
        "<style> url()",
        f"{EXT}.png",
    ),
    (
        "meta refresh",
        "page.html",
        page(f'<meta http-equiv="refresh" content="0; url={EXT}.html">'),
        "<meta refresh>",
        f"{EXT}.html",
    ),
    (
        "form action",
        "page.html",
        page(f'<form action="{EXT}/search"></form>'),
        "<form action>",
        f"{EXT}/search",
    ),
    (
        "fetch in script",
        "assets/app.js",
        f'fetch("{EXT}.json").then(r => r.json())',
        "script URL string",
        f"{EXT}.json",
    ),
    (
        "worker in script",
        "assets/app.js",
        "new Worker('//cdn.example.org/w.js')",
        "script URL string",
        "//cdn.example.org/w.js",
    ),
    (
        "importScripts",
        "assets/worker.js",
        f"importScripts(`{EXT}/lib.js`)",
        "script URL string",
        f"{EXT}/lib.js",
    ),
    (
        "xhr",
        "assets/app.js",
        f'var x = new XMLHttpRequest(); x.open("GET", "{EXT}/api")',
        "script URL string",
        f"{EXT}/api",
    ),
    (
        "svg image",
        "assets/logo.svg",
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<image xlink:href="{EXT}.png"/></svg>',
        "<image xlink:href>",
        f"{EXT}.png",
    ),
    (
        "xml stylesheet",
        "feed.xml",
        f'<?xml version="1.0"?><?xml-stylesheet href="{EXT}.xsl"?><rss/>',
        "<?xml-stylesheet?>",
        f"{EXT}.xsl",
    ),
    ("root-absolute link", "a/page.html", page('<a href="/a-z.html">A–Z</a>'), "<a href>", "/a-z.html"),
    (
        "root-absolute asset",
        "a/page.html",
        page('<img src="/assets/x.png" alt="">'),
        "<img src>",
        "/assets/x.png",
    ),
    (
        "site_url link",
        "page.html",
        page('<a href="https://kb.example.net/a-z.html">A–Z</a>'),
        "<a href>",
        "https://kb.example.net/a-z.html",
    ),
    (
        "out of the folder",
        "a/page.html",
        page('<img src="../../secret.png" alt="">'),
        "<img src>",
        "../../secret.png",
    ),
    ("external link without noreferrer", "page.html", page(f'<a href="{EXT}">x</a>'), "<a href>", EXT),
]


@pytest.mark.parametrize("kind,output,text,what,url", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_each_kind_of_reference_is_caught(tmp_path, kind, output, text, what, url):
    target = tmp_path / output
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    findings = audit.audit_site(tmp_path, site_url="https://kb.example.net/")
    assert [(f.output, f.what, f.url) for f in findings] == [(output, what, url)]
    assert output in findings[0].format()


def test_a_memo_gives_the_same_findings_and_sees_each_change(tmp_path):
    """The live preview carries findings of unchanged files from one audit to the next."""
    for name, text in (("a.html", page(f'<img src="{EXT}" alt="">')), ("b.html", page("<p>fine</p>"))):
        (tmp_path / name).write_text(text)
    memo: dict = {}
    first = audit.audit_site(tmp_path, memo=memo)
    assert [f.output for f in first] == ["a.html"] and set(memo) == {"a.html", "b.html"}
    memo["b.html"][1].append(first[0])  # a file it knows is not read again...
    assert audit.audit_site(tmp_path, memo=memo) == [first[0], first[0]]
    (tmp_path / "b.html").write_text(page(f'<script src="{EXT}"></script>'))  # ...until it changes
    assert audit.audit_site(tmp_path, memo=memo) == audit.audit_site(tmp_path)
    assert [f.output for f in audit.audit_site(tmp_path, memo=memo)] == ["a.html", "b.html"]


ALLOWED = [
    (
        "relative assets",
        "a/page.html",
        page(
            '<link rel="stylesheet" href="../assets/x.css">'
            '<img src="../img/a.png" srcset="../img/a.png 1x" alt="">'
        ),
    ),
    (
        "data: images",
        "assets/site.css",
        "a{background:url(\"data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'/>\")}",
    ),
    ("external link with rel", "page.html", page(f'<a href="{EXT}" rel="noopener noreferrer">x</a>')),
    (
        "mail and fragment links",
        "page.html",
        page('<a href="mailto:a@example.org">m</a> <a href="#top">t</a>'),
    ),
    (
        "svg namespaces",
        "assets/logo.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0"/></svg>',
    ),
    ("namespace in script", "assets/app.js", 'document.createElementNS("http://www.w3.org/2000/svg", "svg")'),
    (
        "sitemap locations",
        "sitemap.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://kb.example.net/a.html</loc></url></urlset>",
    ),
    ("URL in a script comment", "assets/lib.js", "// see http://example.org/spec for details\nvar a = 1;"),
    (
        "JSON config script",
        "page.html",
        page('<script id="__config" type="application/json">{"u": "https://x.org"}</script>'),
    ),
    (
        "Material's conditional loaders",
        "assets/javascripts/bundle.a5f9d56c.min.js",
        'x=_t("https://unpkg.com/resize-observer-polyfill");r=`https://api.github.com/repos/${e}/${t}`',
    ),
    (
        "404 page's root-absolute links",
        "404.html",
        page('<link rel="stylesheet" href="/assets/x.css"><a href="/index.html">Home</a>'),
    ),
]


@pytest.mark.parametrize("kind,output,text", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_allowed_references_pass(tmp_path, kind, output, text):
    target = tmp_path / output
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    assert audit.audit_site(tmp_path) == []


def test_the_404_page_may_not_load_from_elsewhere():
    findings = audit.audit_text("404.html", page(f'<script src="{EXT}.js"></script>'))
    assert [f.url for f in findings] == [f"{EXT}.js"]


def test_the_bundle_allowance_is_exact():
    text = 'x=_t("https://unpkg.com/resize-observer-polyfill");y=_t("https://unpkg.com/other@1/x.js")'
    findings = audit.audit_text("assets/javascripts/bundle.a5f9d56c.min.js", text)
    assert [f.url for f in findings] == ["https://unpkg.com/other@1/x.js"]
    # The same string in any other script is reported.
    assert audit.audit_text("assets/mine.js", text) != []


@pytest.mark.parametrize(
    "body,what",
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<p style="color:red">x</p>', "<p style>"),
        ("<style>p{color:red}</style>", "<style>"),
        ('<button onclick="go()">x</button>', "<button onclick>"),
    ],
)
def test_inline_code_the_policy_blocks_is_caught(body, what):
    assert [f.what for f in audit.audit_text("page.html", page(body))] == [what]


def test_a_page_without_the_policy_is_caught():
    findings = audit.audit_text(
        "page.html", "<!doctype html><html><head><title>x</title></head><body></body></html>"
    )
    assert len(findings) == 1 and "Content-Security-Policy" in findings[0].format()


def test_content_reference_names_markdown_line():
    text = page(f'<p><img alt="x" src="{EXT}.png"></p>')
    sources = {
        "devices/x.html": audit.Source("devices/x.md", f"---\ntitle: X\n---\n\nIntro.\n\n![x]({EXT}.png)\n")
    }
    (finding,) = audit.locate(audit.audit_text("devices/x.html", text), sources)
    assert (finding.source, finding.line) == ("devices/x.md", 7)
    assert finding.format().startswith("devices/x.md:7: <img src>")
    assert "download it into content/" in finding.format() and "devices/x.html" in finding.format()


def test_site_url_canonical_links_are_caught_with_the_fix(mini):
    config = mini / "mkdocs.yml"
    config.write_text(config.read_text() + "site_url: https://kb.example.net/\n")
    result = run_kbsite("build", cwd=mini)
    assert result.returncode != 0
    assert "index.html: <link href> 'https://kb.example.net/index.html'" in result.stderr
    assert "leave site_url unset" in result.stderr


def test_config_that_loads_from_elsewhere_is_refused():
    assert audit.check_config({"repo_url": "https://github.com/x/y"})
    assert audit.check_config({"plugins": {"material/offline": None}})
    assert audit.check_config({"plugins": {"search": None, "kbsite": None}}) == []


def test_a_failing_audit_fails_the_build_and_keeps_the_old_site(mini):
    first = run_kbsite("build", cwd=mini)
    assert first.returncode == 0, first.stderr
    before = tree_digest(mini / "site")
    article = mini / "content" / "devices" / "what-is-tails.md"
    lines = article.read_text().splitlines()
    at = lines.index("## Summary")
    lines[at:at] = ["![A diagram](https://images.example.org/tails.png)", ""]
    article.write_text("\n".join(lines) + "\n")
    second = run_kbsite("build", cwd=mini)
    assert second.returncode != 0
    assert (
        f"devices/what-is-tails.md:{at + 1}: <img src> 'https://images.example.org/tails.png'"
        in second.stderr
    )
    assert "download it into content/" in second.stderr
    assert "left untouched" in second.stderr
    assert tree_digest(mini / "site") == before
    assert [p.name for p in mini.iterdir() if p.name.startswith("site")] == ["site"]  # no temp folder left


def test_every_built_page_carries_the_policy(built_mini):
    pages = sorted((built_mini / "site").rglob("*.html"))
    assert len(pages) > 10
    for p in pages:
        html = p.read_text()
        assert f'<meta http-equiv="Content-Security-Policy" content="{policy.META_CSP}">' in html, p
        assert '<meta name="referrer" content="no-referrer">' in html, p
        assert "fonts.googleapis.com" not in html and "unpkg.com" not in html, p


def test_theme_font_is_forced_off(mini):
    config = mini / "mkdocs.yml"
    config.write_text(config.read_text().replace("  font: false\n", ""))
    result = run_kbsite("build", cwd=mini)
    assert result.returncode == 0, result.stderr
    assert "fonts.g" not in (mini / "site" / "index.html").read_text()


def test_repo_url_stops_the_build(mini):
    config = mini / "mkdocs.yml"
    config.write_text(config.read_text() + "repo_url: https://github.com/example/kb\n")
    result = run_kbsite("build", cwd=mini)
    assert result.returncode != 0
    assert "remove repo_url" in result.stderr


def test_finding_in_a_generated_page_names_the_data_file():
    text = page(f'<p><img alt="x" src="{EXT}.png"></p>')
    data = [
        audit.Source("_data/tools.yml", "- id: a\n  name: A\n"),
        audit.Source("_data/categories.yml", f"- id: x\n  title: X\n  description: <img src={EXT}.png>\n"),
    ]
    (finding,) = audit.locate(audit.audit_text("x/index.html", text), {}, data)
    assert (finding.source, finding.line) == ("_data/categories.yml", 3)


def test_repeated_url_findings_name_each_line():
    text = page(f'<p><img alt="x" src="{EXT}.png"></p><p>and</p><p><img alt="y" src="{EXT}.png"></p>')
    md = f"---\ntitle: X\n---\n\n![x]({EXT}.png)\n\nand\n\n![y]({EXT}.png)\n"
    found = audit.locate(
        audit.audit_text("devices/x.html", text), {"devices/x.html": audit.Source("devices/x.md", md)}
    )
    assert [f.line for f in found] == [5, 9]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JavaScript:x",
        "java\tscript:x",
        "vbscript:x",
        "data:text/html,x",
        "file:///etc/passwd",
    ],
)
def test_dangerous_link_schemes(href):
    from html import escape

    (finding,) = audit.audit_text("a/b.html", page(f'<p><a href="{escape(href)}">x</a></p>'))
    assert "link, which runs code or opens a file" in finding.problem


def test_ordinary_links_are_not_dangerous():
    links = "".join(
        f'<a href="{h}" rel="noopener noreferrer">x</a>'
        for h in ["https://a.org/", "../b.html#c", "mailto:a@b.org", "#top"]
    )
    assert audit.audit_text("a/b.html", page(f"<p>{links}</p>")) == []
