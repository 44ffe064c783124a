"""User text to a safe full-text query: SQLite FTS5 MATCH text or PostgreSQL tsquery text.

The user's text is never handed to either query parser as it is. It is cut into words (runs of
Unicode letters and digits, after NFC), and the query is rebuilt from those words alone, each one
quoted: quotes, ``AND``/``OR``/``NOT``/``NEAR``, ``*``, ``:``, ``&``, ``|``, ``!``, ``(``,
``^``, column filters and any other syntax in the text are separators or plain words, so no input
can cause a syntax error.

Every word must match (AND). The **last word is a prefix** (``part`` finds "Party Time"), as
people type into a search box; the words before it match whole words only, which keeps the
query cheap. A one-character last word is matched whole: a one-letter prefix matches a large
part of the vocabulary and costs a scan of it. On SQLite a last word longer than 8 characters
matches as its first 8 (see ``Terms.fts5``); PostgreSQL looks its first 8 up in the index and
then checks the whole prefix (``search_match``, migration 0003). Case and diacritics never
matter (the FTS5 tokenizer removes them; on PostgreSQL ``unaccent`` and the ``simple``
dictionary do).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_WORDS = 8  # more words only narrow the result further: they cost, and help little
MAX_WORD = 64  # characters; longer runs are not words anyone types
MIN_PREFIX = 2  # the last word is a prefix from this many characters on
MAX_FTS5_PREFIX = 8  # the longest prefix the FTS5 tables (and the PostgreSQL index) hold

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script: underscore separates


def words(text: str) -> list[str]:
    """The searchable words of ``text``, in order, without repeats (compared ignoring case)."""
    out: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(unicodedata.normalize("NFC", text)):
        word = word[:MAX_WORD]
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            out.append(word)
            if len(out) == MAX_WORDS:
                break
    return out


def searchable(text: str) -> bool:
    """Whether ``text`` has at least one word to search for."""
    return _WORD.search(text) is not None


@dataclass(frozen=True)
class Terms:
    """The words of one search and whether the last one is a prefix."""

    words: tuple[str, ...]
    prefix_last: bool

    @classmethod
    def parse(cls, text: str) -> Terms:
        found = words(text)
        return cls(tuple(found), bool(found) and len(found[-1]) >= MIN_PREFIX)

    def _each(self) -> list[tuple[str, bool]]:
        last = len(self.words) - 1
        return [(w, self.prefix_last and i == last) for i, w in enumerate(self.words)]

    def fts5(self) -> str:
        """An FTS5 MATCH expression: ``"deep" AND "sess"*``. Words hold no quotes. A prefix
        longer than the longest indexed one is cut to it (``"transmis"*`` for
        ``transmission``): a slightly wider match, but one index lookup instead of a merge of
        every matching term's rows."""
        return " AND ".join(f'"{w[:MAX_FTS5_PREFIX]}"*' if p else f'"{w}"' for w, p in self._each())

    def tsquery(self, weight: str = "", join: str = " & ") -> str:
        """A ``to_tsquery`` text: ``'deep' & 'sess':*``; with ``weight`` each word is
        restricted to lexemes of that weight (``'deep':A``). Words hold no quotes."""
        parts = []
        for w, p in self._each():
            flags = ("*" if p else "") + weight
            parts.append(f"'{w}'" + (f":{flags}" if flags else ""))
        return join.join(parts)

    def any_with_weight(self, weight: str) -> str:
        """A tsquery matching documents where any word has a lexeme of ``weight``."""
        return self.tsquery(weight, " | ")
