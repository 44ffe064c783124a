"""Slugs for shows, tags and playlists: Unicode-aware, lower-cased, words joined by hyphens.

``Bon dimanche à tous!`` becomes ``bon-dimanche-à-tous``; keys percent-encode it on the way out.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SLUG = 200


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


_ASCII_GAP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    if text.isascii():  # the common case, ten times faster than the loop below
        return _ASCII_GAP.sub("-", text.lower())[:MAX_SLUG].strip("-")
    # NFC, not NFKC: compatibility forms can split a letter (Ŀ becomes L and a middle dot).
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    out: list[str] = []
    gap = False
    for ch in text:
        # Letters and digits of any script, and the combining marks that belong to them
        # (casefold turns İ into i + U+0307, which must stay inside its word). A mark with no
        # letter before it is a gap: it would sit invisibly at the start of a word, making
        # ``/u/\u0301abc/`` a different address for a name that reads as "abc".
        if ch.isalnum() or (_is_mark(ch) and out and not gap):
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
