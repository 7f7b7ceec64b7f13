"""MkDocs plugin: wires MkDocs events to the model and the renderers."""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from pathlib import Path

import jinja2
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from ..content import load, tree
from ..content.errors import ContentErrors
from ..content.languages import split_suffix
from ..content.model import KnowledgeBase
from ..content.view import view
from ..outputs import epub, handbook, handbook_cache, signing
from ..outputs.handbook import Handbook
from ..outputs.names import download_name
from ..safety import audit, images, policy, reproducible
from ..safety.audit_pool import InlineAuditor, PageAuditor
from . import frame, i18n, pagecache, parallel, search
from .config import KbConfig, declared_languages, with_reviews
from .htmlsize import squeeze
from .markdown_ext import KbExtension
from .navcache import NavCache
from .pages import DOWNLOADS, GLOSSARY, HOME, generated_pages, nav
from .render import Renderer, page_url, toc_with_template_sections

TEMPLATES = Path(__file__).parent.parent / "templates"
log = logging.getLogger("mkdocs.plugins.kbsite")


class KbPlugin(BasePlugin[KbConfig]):
    kb: KnowledgeBase
    renderer: Renderer
    serving = False
    split: parallel.Split | None = None
    lit: Page | None = None  # a navigation entry marked current for one page (on_page_context)
    handbook: Handbook | None = None  # this build's, for the command line's summary
    page_cache: pagecache.PageCache | None = None  # the preview's, kept across its rebuilds

    def on_startup(self, *, command, dirty) -> None:
        # MkDocs keeps a plugin with on_startup across the preview's rebuilds, and its cache.
        self.serving = command == "serve"
        self.page_cache = pagecache.PageCache() if self.serving else None

    def on_config(self, config):
        if config.use_directory_urls:
            raise PluginError(
                "kbsite: set `use_directory_urls: false` in mkdocs.yml "
                "(pages must open from file:// and under any path)"
            )
        try:
            whole = load.load(Path(config.docs_dir), config.site_name, declared_languages(config))
        except ContentErrors as exc:
            raise PluginError(exc.format()) from exc
        whole = with_reviews(whole, self.config.review_every)
        # A link to a missing anchor is a broken link: a warning, so strict mode stops on it.
        links = config.validation.links
        links.anchors = max(links.anchors, logging.WARNING)
        # One language per build: the pages, handbook and search read that language's view.
        lang = self.config.language or whole.languages[0].code
        if lang not in {x.code for x in whole.languages}:
            raise PluginError(f"kbsite: language {lang!r} is not declared under `languages:`")
        self.kb = view(whole, lang)
        self.outer = "" if lang == whole.languages[0].code else f"{lang}/"  # where this build sits
        config.theme["language"] = lang  # Material's words and <html lang>
        direction = self.kb.language.direction if self.kb.language else "ltr"
        config.theme["direction"] = direction  # Material's <body dir> and its mirrored layout
        self.html_open = re.compile(r'<html lang="([^"]*)"')
        self.html_dir = rf'<html lang="\1" dir="{direction}"'
        if self.config.signing_key and (problem := signing.fingerprint_problem(self.config.signing_key)):
            raise PluginError(f"kbsite: mkdocs.yml: {signing.CONFIG_FIELD}: {problem}")
        problems = audit.check_config(config)
        if problems:
            raise PluginError(
                "kbsite: mkdocs.yml would make pages load from other sites:\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
        if config.theme["font"] is not False:
            config.theme["font"] = False  # Material's default loads Google Fonts; use system fonts
        if note := reproducible.default_source_date_epoch(self.kb):
            log.info(note)
        if self.serving:
            # `mkdocs serve` sets site_url to its own address, which would put absolute
            # http://127.0.0.1 links (canonical, sitemap) in the preview; show what readers get.
            config.site_url = None
        # Our templates override Material's but yield to the site's custom_dir.
        dirs = config.theme.dirs
        dirs.insert(1 if config.theme.custom_dir else 0, str(TEMPLATES))
        config.extra_css.insert(0, "assets/stylesheets/kbsite.css")
        self.page_auditor: PageAuditor | InlineAuditor | None = None
        self.refused: list = []
        self.split = None
        self.child_report: dict | None = None
        self.language = config.theme.get("language") or "en"
        publisher = {
            "fingerprint": signing.printed_fingerprint(self.config.signing_key),
            "minisign_key": self.config.minisign_key or "",
            "language": self.language,
            "zim_name": download_name(config.site_name, self.language, "zim"),
        }
        self.generated = {p.src_uri: p for p in generated_pages(self.kb, publisher)}
        self.articles = self.kb.by_src_uri()
        if not config.nav:
            config.nav = nav(self.kb, self._plain_pages(config))
        self.md_ext = KbExtension(self.kb.glossary if self.config.glossary_links else [], final_urls=True)
        config.markdown_extensions.append(self.md_ext)
        # Readable anchors for headings in any script, unless the site chose its own.
        config.mdx_configs.setdefault("toc", {}).setdefault("slugify", i18n.heading_slug)
        return config

    def _plain_pages(self, config) -> list[str]:
        """Markdown pages at the top of content/ that are not articles (e.g. about.md)."""
        root = Path(config.docs_dir)
        return sorted(p.name for p in root.glob("*.md"))

    def on_pre_build(self, config) -> None:
        # Here, not in on_config, which `kbsite check` and `kbsite pdf` also run.
        for warning in self.kb.warnings if not self.outer else ():  # once, not per language
            log.warning(warning.format())  # strict mode counts them

    def on_files(self, files: Files, config) -> Files:
        # Pages render before on_env, so the renderer gets its own theme environment.
        self.renderer = Renderer(
            self.kb, config.theme.get_env(), self.page_cache.own_templates if self.page_cache else None
        )
        unused: tuple[str, ...] = (
            ("assets/javascripts/lunr/",) if "material/search" not in config.plugins else ()
        )
        if not config.theme.get("palette"):
            # No palette, no dark scheme: its CSS would ship unused. (Tor Browser reports a light
            # scheme to every page, so following prefers-color-scheme would serve few readers.)
            unused += ("assets/stylesheets/palette.",)
        _refuse_outside(files, config)
        translated = {lang.code for lang in self.kb.languages[1:]}
        for file in list(files):
            # Data files and the handbook's print CSS are inputs, not pages to publish;
            # Material's lunr languages serve only its own search plugin's worker, its palette
            # CSS only a configured palette.
            if file.src_uri.startswith((load.DATA_DIR + "/", *unused)) or _is_print_asset(file, config):
                files.remove(file)
            elif file.src_uri.endswith(".md") and split_suffix(file.src_uri[:-3])[1] in translated:
                files.remove(file)  # a translation: read into the model, not a page of this language
        try:
            images.clean_files(files, config)
        except ContentErrors as exc:
            raise PluginError(exc.format()) from exc
        epub_on = self.config.epub and not self.serving  # a slow output: not in the preview's rebuilds
        loader = config.theme.get_env().loader
        # Both books print the articles the same way: render them once.
        try:
            articles = (
                handbook.config_articles(self.kb, config, loader, self.config.glossary_links, self.refused)
                if self.config.handbook and epub_on
                else None
            )
        except jinja2.TemplateError as exc:
            project = Path(config.config_file_path or config.docs_dir).parent
            raise PluginError(handbook.template_error(exc, project)) from exc
        if self.config.handbook:
            self._add_handbook(files, config, articles)
        if epub_on:
            self._add_epub(files, config, articles)
        self.search = search.build(self.kb) if self.config.search else None
        for path, text in (self.search.files if self.search else {}).items():
            files.append(File.generated(config, path, content=text))
        if self.page_cache is not None:
            folders = [Path(config.docs_dir), TEMPLATES]
            if config.theme.custom_dir:
                folders.append(Path(config.theme.custom_dir))
            parts = self.search.parts if self.search else 0
            self.page_cache.begin(pagecache.shared_key(self.kb, config.config_file_path, folders, parts))
        for page in self.generated.values():
            files.append(
                File.generated(
                    config,
                    page.src_uri,
                    content=page.front_matter(),
                    inclusion=InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV,
                )
            )
        return files

    # Last, once the navigation is final: from here on two processes may share the pages.
    @event_priority(-100)
    def on_nav(self, nav, config, files):
        # Home, category and other top-level pages: the text links mark them as current.
        self.top_urls = {p.url for p in nav.pages if p.parent is None or p.is_index}
        self.nav_pages = {p.file.src_uri: p for p in nav.pages}
        # Output path -> Markdown file, to name the source line of an audit finding.
        self.page_files: dict[str, File] = {
            f.dest_uri: f for f in files.documentation_pages() if f.src_uri not in self.generated
        }
        if self.config.parallel and parallel.possible(config, self.serving):
            self.split = parallel.Split(list(self.articles))
            log.info(
                "kbsite: a second process renders %d of %d articles",
                len(self.split.child_pages),
                len(self.articles),
            )
            self.split.fork()
            # Articles and generated pages have their titles in the navigation: no need to read them.
            self.split.exclude(files, titled={*self.articles, *self.generated})
        return nav

    def _renders(self, page: Page) -> bool:
        return self.split is None or self.split.renders(page.file.src_uri)

    def on_page_read_source(self, page: Page, config) -> str | None:
        article = self.articles.get(page.file.src_uri)
        if article is None:
            return None
        # A page the preview kept: MkDocs gets its title only, and nothing to render.
        kept = self.page_cache and self.page_cache.reuse(article)
        # The model has parsed the front matter; MkDocs' own pure-Python YAML pass
        # over it was 11% of a build.
        # Its page needs only the title, and the summary as the page's description.
        return (
            f"---\ntitle: {json.dumps(article.title, ensure_ascii=False)}\n"
            f"description: {json.dumps(article.summary, ensure_ascii=False)}\n---\n"
            + ("" if kept else article.body)
        )

    def _add_handbook(self, files: Files, config, articles: dict | None) -> None:
        """Build the PDF now, before pages render: home and category pages show its size.

        The preview never lays the book out (minutes at 300 articles, on every save): it
        serves the cached handbook, or the newest one with a note that it is older than
        the content, or none. `kbsite build` and `kbsite pdf` make it.
        """
        start = time.perf_counter()
        if self.serving:
            book = handbook_cache.preview(config, self.config.glossary_links)
        else:
            loader = config.theme.get_env().loader
            try:
                book = handbook_cache.build_or_reuse(
                    self.kb, config, loader, self.config.glossary_links, articles
                )
                self.refused += book.refused  # reported after the audit, which says more
            except jinja2.TemplateError as exc:
                project = Path(config.config_file_path or config.docs_dir).parent
                raise PluginError(handbook.template_error(exc, project)) from exc
        self.handbook = book
        log.info("kbsite: %s", handbook_cache.describe(book, time.perf_counter() - start))
        if book is not None:
            files.append(File.generated(config, book.path, content=book.pdf))
        for page in self.generated.values():
            if page.src_uri in (HOME, DOWNLOADS) or "category" in page.context:
                page.context["handbook"] = book
                page.context["handbook_preview"] = self.serving

    def _add_epub(self, files: Files, config, articles: dict | None) -> None:
        book = epub.build(self.kb, config, config.theme.get_env().loader, self.language, articles)
        files.append(File.generated(config, book.path, content=book.data))
        self.generated[DOWNLOADS].context["epub"] = book

    def on_page_markdown(self, markdown: str, page: Page, config, files) -> str:
        if not self._renders(page):
            # A plain page (about.md) in the child: rendered for its title and anchors,
            # written by the parent. (The other half's articles and generated pages are not read.)
            page.meta["template"] = parallel.SKIP_TEMPLATE
            return markdown
        if self.page_cache and self.page_cache.reusing(page.file.src_uri):
            page.meta["template"] = parallel.SKIP_TEMPLATE  # on_post_page gives the kept HTML
            return markdown
        article = self.articles.get(page.file.src_uri)
        self.md_ext.glossary_url = None
        if article is None:
            return markdown
        self.md_ext.glossary_url = get_relative_url(page_url(GLOSSARY), page_url(page.file.src_uri))
        return self.renderer.place_markers(article, markdown)

    # Before other plugins (search) read page.content, so they see the full page.
    @event_priority(50)
    def on_page_content(self, html: str, page: Page, config, files) -> str:
        src = page.file.src_uri
        if self.page_cache and (kept := self.page_cache.reusing(src)):
            page.present_anchor_ids = set(kept.anchors)
            page.links_to_anchors = {
                file: dict(links)
                for uri, links in kept.links.items()
                if (file := files.get_file_from_path(uri))
            }
            return ""
        if src in self.articles:
            html = self.renderer.article(self.articles[src], html)
            toc_with_template_sections(page.toc, html)
        elif src in self.generated:
            html = self.renderer.generated(self.generated[src])
        else:
            return html
        # Anchors MkDocs checks links against: its own come from the Markdown only.
        page.present_anchor_ids = {*(page.present_anchor_ids or ()), *ID_ATTR.findall(html)}
        return html

    def on_page_context(self, context, page: Page, config, nav):
        # A page outside the navigation (a tool's) marks its parent entry (Tools) as current.
        generated = self.generated.get(page.file.src_uri)
        parent = generated and generated.nav_parent and self.nav_pages.get(generated.nav_parent)
        if parent:
            parent.active = True
            self.lit = parent
        return context

    def on_env(self, env, config, files):
        env.auto_reload = False  # one build, one environment: no stat() per include
        if self.page_cache:
            env.bytecode_cache = self.page_cache.theme_templates
        env.globals["kb_policy"] = policy  # kb/base.html writes the policy into every page
        if self.config.fast_nav:
            env.globals["kb_nav"] = NavCache()  # fresh per build: pages and URLs may change
        env.globals["kb_search"] = self.search
        env.globals["kb_search_page_part"] = search.PAGE_PART
        env.globals["kb_memo"] = {}  # template fragments that depend only on the page's folder
        env.globals["kb_top_urls"] = self.top_urls
        # The live preview builds one language (kbsite serve): links to the others would 404.
        links = i18n.language_links if not self.serving else lambda kb, url: []
        env.globals["kb_language_links"] = functools.partial(links, self.kb)
        i18n.install(env, i18n.code(self.kb))
        if self.split:
            self.split.divide_writes(files, config)
            self.page_auditor = InlineAuditor(config.site_url or "", self.outer)
        elif not self.serving:
            # `serve` rebuilds often and keeps threads: audit there after the build only.
            self.page_auditor = PageAuditor(config.site_url or "", self.outer)
        self.files = files
        return env

    # Last, so the audit sees exactly what MkDocs writes.
    @event_priority(-100)
    def on_post_page(self, output: str, page: Page, config) -> str:
        if self.lit is not None:
            self.lit.active = False
            self.lit = None
        if not self._renders(page):
            return output
        if self.page_cache and (kept := self.page_cache.reusing(page.file.src_uri)):
            return kept.html
        article = self.articles.get(page.file.src_uri)
        # Material sets dir on <body> only; the skip link goes first (kbsite.site.frame).
        output = self.html_open.sub(self.html_dir, squeeze(frame.skip_link_first(output)), count=1)
        if self.page_cache and article:
            self.page_cache.keep(article, page, output, config.site_url or "", self.outer)
        elif self.page_auditor is not None:
            self.page_auditor.submit(page.file.dest_uri, output)
        if self.split:
            page.content = None  # written: free it (each process holds its own copies)
        return output

    def on_post_template(self, output_content: str, template_name: str, config) -> str:
        # 404.html renders from the theme's frame as a static template, not as a page.
        return frame.skip_link_first(output_content) if template_name == "404.html" else output_content

    def on_serve(self, server, config, builder):
        # Preview with the same headers as production; see kbsite.site.serve for livereload.
        from .serve import wrap_livereload_app

        server.set_app(wrap_livereload_app(server.get_app()))
        return server

    # First: the child reports and exits before any other post-build step could run twice.
    @event_priority(100)
    def _join_split(self, config) -> None:
        if self.split is None:
            return
        split, child_pages = self.split, self.split.child_pages
        if split.is_child:
            assert self.page_auditor is not None
            mine = [f.page for f in self.files.documentation_pages() if f.src_uri in child_pages]
            split.finish_child(
                True,
                findings=self.page_auditor.findings(),
                audited=self.page_auditor.audited,
                anchors=parallel.anchors_of(mine),
            )
        report = split.collect()
        self.split = None
        if not report["ok"]:
            raise PluginError("kbsite: the second build process failed (see the messages above)")
        self.child_report = report
        parallel.check_anchors_between(
            self.files, child_pages, report["anchors"], config.validation.links.anchors
        )

    def on_build_error(self, error) -> None:
        if self.split is not None and self.split.is_child:
            self.split.finish_child(False)
        elif self.split is not None:
            self.split.abort()

    # After plugins that write into site_dir (e.g. the handbook), so the audit sees all.
    # A failure stops `kbsite build` before it swaps the new folder in.
    @event_priority(-50)
    def _audit_output(self, config) -> None:
        pages = self.page_auditor.findings() if self.page_auditor else []
        skip = set(self.page_auditor.audited) if self.page_auditor else set()
        if self.page_cache:  # the articles, audited when first rendered
            pages, skip = self.page_cache.audited()
            log.info("kbsite: %s", self.page_cache.summary())
        if report := self.child_report:
            pages, skip = [*pages, *report["findings"]], skip | report["audited"]
            self.child_report = None
        findings = audit.audit_site(
            Path(config.site_dir),
            site_url=config.site_url or "",
            skip=skip,
            earlier=pages,
            outer=self.outer,
            memo=self.page_cache.audits if self.page_cache else None,
        )
        if findings:
            # Only now read the Markdown of pages with findings, to name the line.
            sources = {
                f.output: audit.Source(file.src_uri, file.content_string)
                for f in findings
                if (file := self.page_files.get(f.output))
            }
            data = [
                audit.Source(path.relative_to(config.docs_dir).as_posix(), path.read_text(encoding="utf-8"))
                for path in sorted((Path(config.docs_dir) / load.DATA_DIR).glob("*.yml"))
            ]
            raise PluginError(audit.format_findings(audit.locate(findings, sources, data)))
        if self.refused:
            raise PluginError(ContentErrors(self.refused).format())

    # Last, after every plugin that writes into site_dir (handbook, audit).
    @event_priority(-100)
    def _normalize_output(self, config) -> None:
        reproducible.normalize_tree(Path(config.site_dir))

    on_post_build = CombinedEvent(_join_split, _audit_output, _normalize_output)


ID_ATTR = re.compile(r'\sid="([^"]+)"')


def _refuse_outside(files: Files, config) -> None:
    """No file MkDocs found in docs_dir may come from outside it through a symbolic link."""
    docs = Path(config.docs_dir)
    errors = [
        error
        for file in files
        if file.abs_src_path
        and Path(file.abs_src_path).is_relative_to(docs)
        and tree.outside(docs, file.abs_src_path)
        and (error := tree.link_error(docs, _first_link(docs, Path(file.abs_src_path))))
    ]
    if errors:
        raise PluginError(ContentErrors(errors).format())


def _first_link(docs: Path, path: Path) -> Path:
    """The symbolic link on the way from `docs` to `path` (the file or a folder above it)."""
    parts = path.relative_to(docs).parts
    for n in range(1, len(parts) + 1):
        if (link := docs.joinpath(*parts[:n])).is_symlink():
            return link
    return path


def _is_print_asset(file: File, config) -> bool:
    """A theme file under handbook/ or epub/ (ours or the site's override): read by the books only."""
    src = file.abs_src_path
    return (
        file.src_uri.startswith(("handbook/", "epub/"))
        and bool(src)
        and not Path(src or "").is_relative_to(config.docs_dir)
    )
