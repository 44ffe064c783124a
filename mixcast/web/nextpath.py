"""Where to go after signing in: ``?next=`` is followed only to a path on this site.

Anything a browser could read as another host is refused: ``//evil.example`` and
``/\\evil.example`` (browsers treat the backslash as a slash), any scheme (``https:``,
``javascript:``), and whitespace or control characters, which browsers strip from URLs and
so could turn ``/\\t/evil.example`` into ``//evil.example``.
"""

from __future__ import annotations

MAX_NEXT = 2048


def local_next(value: str | None, default: str = "/") -> str:
    """``value`` when it is a path on this site, else ``default``."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return default
    if value.startswith(("//", "/\\")) or "\\" in value:
        return default
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    return value
