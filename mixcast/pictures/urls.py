"""The ``pictures`` and ``cover_pictures`` maps of the API (wire-format.md §3.1)."""

from __future__ import annotations

from functools import lru_cache

from mixcast.media.artwork import COVER_SIZES, SHOW_SIZES, USER_SIZES

DEFAULT_ID = {
    "profile": "default-profile",
    "extaudio": "default-extaudio",
    "profile_cover": "default-profile_cover",
}
DEFAULT_PRIMARY_COLOR = "34404e"  # the default pictures' average colour
_SIZES = {"profile": USER_SIZES, "extaudio": SHOW_SIZES, "profile_cover": COVER_SIZES}


@lru_cache(maxsize=64)
def _template(site: str, kind: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, f"/{w}x{h}.jpg") for name, (w, h) in _SIZES[kind].items())


@lru_cache(maxsize=8192)
def picture_map(site: str, kind: str, picture_id: str | None) -> dict[str, str]:
    """Size key -> absolute URL, for a stored picture or for the default one. Made once per
    picture (list pages repeat them) and shared: never change the dict returned."""
    base = f"{site}/media/pictures/{picture_id or DEFAULT_ID[kind]}"
    return {name: base + tail for name, tail in _template(site, kind)}
