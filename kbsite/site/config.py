"""The plugin's typed options."""

import dataclasses

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError

from ..content import freshness
from ..content.languages import Language, LanguageError, declared
from ..content.model import KnowledgeBase


class KbConfig(Config):
    glossary_links = opt.Type(bool, default=True)
    """Link the first use of each glossary term in an article to its entry."""
    handbook = opt.Type(bool, default=True)
    """Build the PDF handbook into downloads/ and link it from the home and category pages."""
    fast_nav = opt.Type(bool, default=True)
    """Render the navigation once per category and reuse it (same HTML as Material's)."""
    parallel = opt.Type(bool, default=True)
    """Render 55% of the articles in a forked second process (needs fork, 2+ CPUs, no other plugin)."""
    search = opt.Type(bool, default=True)
    """Offline full-text search: an index built from the model plus a small script."""
    language = opt.Type(str, default="")
    """The language this build writes (`kbsite build` sets it for each); empty: the original."""
    languages = opt.Type(list, default=[])
    """Translation languages: codes (`- ja`) or `{code, name, dir}`; the original is theme.language."""

    review_every = opt.Optional(opt.Type((int, str)))
    """How often an article's advice must be reviewed: days (`365`) or e.g. `12 months`;
    an article whose `reviewed:` (else `updated:`) date is older is marked overdue."""

    epub = opt.Type(bool, default=True)
    """Build the EPUB 3 book into downloads/ beside the handbook (standard library only, fast)."""
    signing_key = opt.Optional(opt.Type(str))
    """The publisher's OpenPGP fingerprint: printed on the Verify page, the handbook's cover and in
    the bundle; `kbsite bundle --sign` refuses any other key."""
    minisign_key = opt.Optional(opt.Type(str))
    """The publisher's minisign public key (`RW...`), for `kbsite bundle --minisign`."""
    zim_title = opt.Optional(opt.Type((str, dict)))
    """The ZIM's title (at most 30 characters) when site_name is longer; or one per language
    (`{en: ..., ja: ...}`)."""
    zim_description = opt.Optional(opt.Type((str, dict)))
    """The ZIM's description (at most 80 characters); or one per language (a translation without
    one gets kbsite's own sentence in its language)."""


def with_reviews(kb: KnowledgeBase, review_every: object) -> KnowledgeBase:
    """`kb` with the review period from mkdocs.yml and the build's date (kbsite.content.freshness)."""
    try:
        period = freshness.parse_period(review_every)
    except freshness.PeriodError as exc:
        raise PluginError(f"mkdocs.yml: plugins: kbsite: review_every: {exc}") from exc
    return dataclasses.replace(kb, review_every=period, today=freshness.today()) if period else kb


def declared_languages(config) -> tuple[Language, ...]:
    """The site's languages from an MkDocs config: the theme's first, then the plugin's."""
    plugin = config.plugins.get("kbsite")
    entries = plugin.config.languages if plugin is not None else []
    try:
        return declared(config.theme.get("language") or "en", entries)
    except LanguageError as exc:
        raise PluginError(f"mkdocs.yml: plugins: kbsite: {exc}") from exc
