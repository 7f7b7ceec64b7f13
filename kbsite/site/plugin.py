"""MkDocs plugin: wires MkDocs events to the model and the renderers."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import jinja2
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from ..content import load
from ..content.errors import ContentErrors
from ..content.model import KnowledgeBase
from ..outputs import handbook, handbook_cache
from ..outputs.handbook import Handbook
from ..safety import audit, images, policy, reproducible
from ..safety.audit_pool import InlineAuditor, PageAuditor
from . import parallel
from .config import KbConfig
from .htmlsize import squeeze
from .markdown_ext import KbExtension
from .navcache import NavCache
from .pages import GLOSSARY, HOME, generated_pages, nav
from .render import Renderer, page_url
from .search import INDEX_DIR, shards

TEMPLATES = Path(__file__).parent.parent / "templates"
log = logging.getLogger("mkdocs.plugins.kbsite")


class KbPlugin(BasePlugin[KbConfig]):
    kb: KnowledgeBase
    renderer: Renderer
    serving = False
    split: parallel.Split | None = None
    handbook: Handbook | None = None  # this build's, for the command line's summary

    def on_startup(self, *, command, dirty) -> None:
        self.serving = command == "serve"

    def on_config(self, config):
        if config.use_directory_urls:
            raise PluginError(
                "kbsite: set `use_directory_urls: false` in mkdocs.yml "
                "(pages must open from file:// and under any path)"
            )
        try:
            self.kb = load.load(Path(config.docs_dir), config.site_name)
        except ContentErrors as exc:
            raise PluginError(exc.format()) from exc
        problems = audit.check_config(config)
        if problems:
            raise PluginError(
                "kbsite: mkdocs.yml would make pages load from other sites:\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
        if config.theme["font"] is not False:
            config.theme["font"] = False  # Material's default loads Google Fonts; use system fonts
        reproducible.default_source_date_epoch(self.kb)
        if self.serving:
            # `mkdocs serve` sets site_url to its own address, which would put absolute
            # http://127.0.0.1 links (canonical, sitemap) in the preview; show what readers get.
            config.site_url = None
        # Our templates override Material's but yield to the site's custom_dir.
        dirs = config.theme.dirs
        dirs.insert(1 if config.theme.custom_dir else 0, str(TEMPLATES))
        config.extra_css.insert(0, "assets/stylesheets/kbsite.css")
        self.page_auditor: PageAuditor | InlineAuditor | None = None
        self.split = None
        self.child_report: dict | None = None
        self.generated = {p.src_uri: p for p in generated_pages(self.kb)}
        self.articles = self.kb.by_src_uri()
        if not config.nav:
            config.nav = nav(self.kb, self._plain_pages(config))
        self.md_ext = KbExtension(self.kb.glossary if self.config.glossary_links else [], final_urls=True)
        config.markdown_extensions.append(self.md_ext)
        return config

    def _plain_pages(self, config) -> list[str]:
        """Markdown pages at the top of content/ that are not articles (e.g. about.md)."""
        root = Path(config.docs_dir)
        return sorted(p.name for p in root.glob("*.md"))

    def on_files(self, files: Files, config) -> Files:
        # Pages render before on_env, so the renderer gets its own theme environment.
        self.renderer = Renderer(self.kb, config.theme.get_env())
        unused = ("assets/javascripts/lunr/",) if "material/search" not in config.plugins else ()
        for file in list(files):
            # Data files and the handbook's print CSS are inputs, not pages to publish;
            # Material's lunr languages serve only its own search plugin's worker.
            if file.src_uri.startswith((load.DATA_DIR + "/", *unused)) or _is_print_asset(file, config):
                files.remove(file)
        try:
            images.clean_files(files, config)
        except ContentErrors as exc:
            raise PluginError(exc.format()) from exc
        if self.config.handbook:
            self._add_handbook(files, config)
        self.search_parts = shards(self.kb) if self.config.search else []
        for n, text in enumerate(self.search_parts):
            files.append(File.generated(config, f"{INDEX_DIR}/index-{n}.js", content=text))
        for page in self.generated.values():
            files.append(
                File.generated(
                    config,
                    page.src_uri,
                    content=f"---\ntitle: {page.title!r}\n---\n",
                    inclusion=InclusionLevel.INCLUDED if page.in_nav else InclusionLevel.NOT_IN_NAV,
                )
            )
        return files

    # Last, once the navigation is final: from here on two processes may share the pages.
    @event_priority(-100)
    def on_nav(self, nav, config, files):
        # Home, category and other top-level pages: the text links mark them as current.
        self.top_urls = {p.url for p in nav.pages if p.parent is None or p.is_index}
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
        # The model has parsed the front matter; MkDocs' own pure-Python YAML pass
        # over it was 11% of a build. Its page needs only the title.
        return f"---\ntitle: {json.dumps(article.title, ensure_ascii=False)}\n---\n{article.body}"

    def _add_handbook(self, files: Files, config) -> None:
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
                book = handbook_cache.build_or_reuse(self.kb, config, loader, self.config.glossary_links)
            except jinja2.TemplateError as exc:
                project = Path(config.config_file_path or config.docs_dir).parent
                raise PluginError(handbook.template_error(exc, project)) from exc
        self.handbook = book
        log.info("kbsite: %s", handbook_cache.describe(book, time.perf_counter() - start))
        if book is not None:
            files.append(File.generated(config, book.path, content=book.pdf))
        for page in self.generated.values():
            if page.src_uri == HOME or "category" in page.context:
                page.context["handbook"] = book
                page.context["handbook_preview"] = self.serving

    def on_page_markdown(self, markdown: str, page: Page, config, files) -> str:
        if not self._renders(page):
            # A plain page (about.md) in the child: rendered for its title and anchors,
            # written by the parent. (The other half's articles and generated pages are not read.)
            page.meta["template"] = parallel.SKIP_TEMPLATE
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
        if src in self.articles:
            return self.renderer.article(self.articles[src], html)
        if src in self.generated:
            return self.renderer.generated(self.generated[src])
        return html

    def on_env(self, env, config, files):
        env.auto_reload = False  # one build, one environment: no stat() per include
        env.globals["kb_policy"] = policy  # kb/base.html writes the policy into every page
        if self.config.fast_nav:
            env.globals["kb_nav"] = NavCache()  # fresh per build: pages and URLs may change
        env.globals["kb_search_parts"] = len(self.search_parts)
        env.globals["kb_memo"] = {}  # template fragments that depend only on the page's folder
        env.globals["kb_top_urls"] = self.top_urls
        if self.split:
            self.split.divide_writes(files, config)
            self.page_auditor = InlineAuditor(config.site_url or "")
        elif not self.serving:
            # `serve` rebuilds often and keeps threads: audit there after the build only.
            self.page_auditor = PageAuditor(config.site_url or "")
        self.files = files
        return env

    # Last, so the audit sees exactly what MkDocs writes.
    @event_priority(-100)
    def on_post_page(self, output: str, page: Page, config) -> str:
        if not self._renders(page):
            return output
        output = squeeze(output)
        if self.page_auditor is not None:
            self.page_auditor.submit(page.file.dest_uri, output)
        if self.split:
            page.content = None  # written: free it (each process holds its own copies)
        return output

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
        if report := self.child_report:
            pages, skip = [*pages, *report["findings"]], skip | report["audited"]
            self.child_report = None
        findings = audit.audit_site(
            Path(config.site_dir), site_url=config.site_url or "", skip=skip, earlier=pages
        )
        if findings:
            # Only now read the Markdown of pages with findings, to name the line.
            sources = {
                f.output: audit.Source(file.src_uri, file.content_string)
                for f in findings
                if (file := self.page_files.get(f.output))
            }
            raise PluginError(audit.format_findings(audit.locate(findings, sources)))

    # Last, after every plugin that writes into site_dir (handbook, audit).
    @event_priority(-100)
    def _normalize_output(self, config) -> None:
        reproducible.normalize_tree(Path(config.site_dir))

    on_post_build = CombinedEvent(_join_split, _audit_output, _normalize_output)


def _is_print_asset(file: File, config) -> bool:
    """A theme file under handbook/ (ours or the site's override): read by the PDF only."""
    src = file.abs_src_path
    return (
        file.src_uri.startswith("handbook/")
        and bool(src)
        and not Path(src or "").is_relative_to(config.docs_dir)
    )
