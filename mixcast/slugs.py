"""Slugs for shows, tags and playlists: Unicode-aware, lower-cased, words joined by hyphens.

``Bon dimanche à tous!`` becomes ``bon-dimanche-à-tous``; keys percent-encode it on the way out.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+|_+")
MAX_SLUG = 200


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    slug = _NOT_WORD.sub("-", text).strip("-")
    return slug[:MAX_SLUG].strip("-")


def normalize_slug(slug: str) -> str:
    """The stored form of a slug taken from a request path (NFC, as slugify stores it)."""
    return unicodedata.normalize("NFC", slug)
