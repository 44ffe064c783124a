"""The widget's embed code: the ``<iframe>`` that ``embed-html/``, ``embed-json/``, oEmbed and
the show pages hand out (wire-format.md §10.1), in one place so they never disagree.

The markup follows Mixcloud's: ``<iframe width="100%" height="120" src="…/widget/iframe/?
hide_cover=1&feed=%2Fuser%2Fslug%2F" frameborder="0" ></iframe>`` (the space before ``>``
included), plus the ``allow`` list of the current player. ``color`` (six hex digits) becomes the
player's accent colour.

``parse_embed`` reads the query parameters that change it (``width``, ``height``, ``color`` and
the widget's flags) for both the API and oEmbed, so the two accept exactly the same values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from html import escape
from urllib.parse import quote, urlencode

from mixcast.api.params import parse_flag
from mixcast.errors import InvalidParameter

HEIGHT = 120  # the classic widget; 60 with mini=1, 400 with the cover (wire-format.md §10.1)
MINI_HEIGHT = 60
COVER_HEIGHT = 400
COLOR = re.compile(r"^[0-9A-Fa-f]{6}\Z")
ALLOW = "encrypted-media; fullscreen; autoplay; idle-detection; speaker-selection; web-share;"

# The widget's display flags, in the order they appear in its address (Mixcloud's embeds put
# hide_cover first: ``?hide_cover=1&light=1&feed=…``).
FLAGS = ("hide_cover", "mini", "light", "hide_artwork", "hide_tracklist", "autoplay")
MAX_SIZE = 4000  # pixels, for width and height: no screen needs more
_PIXELS = re.compile(r"^[1-9][0-9]{0,3}\Z")
_PERCENT = re.compile(r"^(?:[1-9][0-9]?|100)%\Z")
_MAX_DIGITS = re.compile(r"^[1-9][0-9]{0,8}\Z")  # maxwidth/maxheight: any positive size


def widget_src(site: str, key: str, options: Mapping[str, str] | None = None) -> str:
    """The widget's address for the show ``key`` (``/user/slug/``) with its display options
    (``hide_cover``, ``mini``, ``light``, ``hide_artwork``, ``hide_tracklist``, ``autoplay``,
    ``color``), ``feed`` last as Mixcloud's embeds have it."""
    query = urlencode(dict(options or {}))
    feed = "feed=" + quote(key, safe="")
    return f"{site}/widget/iframe/?{query + '&' if query else ''}{feed}"


def widget_html(
    site: str,
    key: str,
    *,
    width: str = "100%",
    height: int = HEIGHT,
    options: Mapping[str, str] | None = None,
) -> str:
    """The embed code; ``width`` is pixels or a percentage, already checked by the caller."""
    src = escape(widget_src(site, key, options), quote=True)
    return (
        f'<iframe width="{escape(width, quote=True)}" height="{int(height)}" src="{src}"'
        f' frameborder="0" allow="{ALLOW}" ></iframe>'
    )


@dataclass(frozen=True)
class Embed:
    """One embed's size and widget options, checked: ``width`` is pixels (``"640"``) or a
    percentage (``"100%"``), ``height`` pixels, ``options`` the widget's query flags set to 1
    (flags that are off are left out) and ``color``."""

    width: str = "100%"
    height: int = HEIGHT
    options: dict[str, str] = field(default_factory=lambda: {"hide_cover": "1"})

    def html(self, site: str, key: str) -> str:
        """The ``<iframe>`` for the show ``key`` on the site at ``site``."""
        return widget_html(site, key, width=self.width, height=self.height, options=self.options)

    @property
    def pixel_width(self) -> int | None:
        """The width in pixels, or None when it is a percentage."""
        return None if self.width.endswith("%") else int(self.width)

    def fitted(self, maxwidth: int | None, maxheight: int | None) -> Embed:
        """Shrunk to fit ``maxwidth`` x ``maxheight`` (oEmbed): a wider width, or any
        percentage, becomes ``maxwidth`` pixels; a taller height becomes ``maxheight``."""
        width, height = self.width, self.height
        if maxwidth is not None:
            pixels = self.pixel_width
            if pixels is None or pixels > maxwidth:
                width = str(maxwidth)
        if maxheight is not None and height > maxheight:
            height = maxheight
        return replace(self, width=width, height=height)


def parse_embed(query: Mapping[str, str]) -> Embed:
    """The embed the query asks for: ``width``, ``height``, ``color`` and the flags.

    Defaults are the classic embed: ``hide_cover=1``, 100% wide and 120 high (60 with
    ``mini=1``, 400 when the cover is shown, ``hide_cover=0``). An empty value counts as absent.
    A value out of range raises ``InvalidParameter`` naming the parameter.
    """
    options: dict[str, str] = {}
    for name in FLAGS:
        value = query.get(name)
        on = True if name == "hide_cover" and not value else parse_flag(name, value)
        if on:
            options[name] = "1"
    color = query.get("color")
    if color:
        if not COLOR.match(color):
            raise InvalidParameter(
                "The parameter color takes 6 hex digits without #, such as ff6600."
            )
        options["color"] = color.lower()
    width = query.get("width") or "100%"
    if not (_PIXELS.match(width) and int(width) <= MAX_SIZE) and not _PERCENT.match(width):
        raise InvalidParameter(
            f"The parameter width takes pixels from 1 to {MAX_SIZE} or a percentage from 1% "
            "to 100%."
        )
    height_text = query.get("height")
    if height_text:
        if not (_PIXELS.match(height_text) and int(height_text) <= MAX_SIZE):
            raise InvalidParameter(f"The parameter height takes pixels from 1 to {MAX_SIZE}.")
        height = int(height_text)
    elif "mini" in options:
        height = MINI_HEIGHT
    elif "hide_cover" not in options:
        height = COVER_HEIGHT
    else:
        height = HEIGHT
    return Embed(width, height, options)


def parse_max(name: str, value: str | None) -> int | None:
    """oEmbed's ``maxwidth`` or ``maxheight``: a positive number of pixels, or None."""
    if not value:
        return None
    if not _MAX_DIGITS.match(value):
        raise InvalidParameter(f"The parameter {name} takes a positive number of pixels.")
    return int(value)
