"""Slugs for shows, tags and playlists: Unicode-aware, lower-cased, words joined by hyphens.

``Bon dimanche à tous!`` becomes ``bon-dimanche-à-tous``; keys percent-encode it on the way out.
"""

from __future__ import annotations

import unicodedata

MAX_SLUG = 200


def _is_word_char(ch: str) -> bool:
    # Letters and digits of any script, and the combining marks that belong to them (casefold
    # turns İ into i + U+0307, which must stay inside its word).
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def slugify(text: str) -> str:
    # NFC, not NFKC: compatibility forms can split a letter (Ŀ becomes L and a middle dot).
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    out: list[str] = []
    gap = False
    for ch in text:
        if _is_word_char(ch):
            if gap and out:
                out.append("-")
            out.append(ch)
            gap = False
        else:
            gap = True
    return "".join(out)[:MAX_SLUG].strip("-")


def normalize_slug(slug: str) -> str:
    """The stored form of a slug taken from a request path: NFC and case-folded, as slugify
    stores it, so ``/Spartacus/Party-Time/`` finds ``party-time``."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", slug).casefold())
