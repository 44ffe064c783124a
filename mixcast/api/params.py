"""Query parameters every API route shares: ``metadata`` and the JSONP ``callback``."""

from __future__ import annotations

import re

from mixcast.errors import InvalidParameter

# A plain JavaScript identifier path: fn, jQuery123_456, a.b.c, $cb. Nothing that could end
# the call early or inject script.
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\Z", re.ASCII)
MAX_CALLBACK = 128
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})


def parse_flag(name: str, value: str | None) -> bool:
    """A boolean query flag: 1/true/on/yes or 0/false/off/no (or absent, or empty)."""
    if value is None:
        return False
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidParameter(f"The parameter {name} takes 1 or 0.")


def parse_callback(value: str | None) -> str | None:
    """The JSONP callback, or None when absent or empty (some clients always send ``callback=``)."""
    if not value:
        return None
    if len(value) > MAX_CALLBACK or not _CALLBACK.match(value):
        raise InvalidParameter(
            "The callback must be a JavaScript identifier such as myCallback or app.handle."
        )
    return value
