"""The site's user and show paths: ``/<user>/`` and ``/<user>/<show>/``, the API's keys.

Their first segment is a possible username but never a reserved word
(``accounts.usernames.RESERVED``, which no user may take): every fixed page of the site starts
with one (``/signin/``, ``/settings/``, ``/developers/`` ...), so a fixed page's address never
reaches a user page. Without this a GET of a POST-only page (``/signout/``) would be taken for a
user called ``signout`` (404), rather than answered 405 by its own route.
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

from mixcast.accounts.usernames import RESERVED
from mixcast.api.routes import ShowConvertor


class SiteUserConvertor(Convertor[str]):
    # What a username may be (``usernames.USERNAME``) but a reserved word, in any case as
    # usernames are (/SignOut/ is no user's either). A segment no user could have is not a
    # user path at all: /favicon.ico is not redirected to /favicon.ico/.
    regex = (
        "(?!(?i:" + "|".join(re.escape(word) for word in sorted(RESERVED)) + ")/)"
        "[A-Za-z0-9_-]{1,64}"
    )

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("site_user", SiteUserConvertor())
# The show segment as the API reads it: never one of a user's list names (/varro/followers/).
register_url_convertor("site_show", ShowConvertor())

USER_PATH = "/{user:site_user}/"
SHOW_PATH = "/{user:site_user}/{show:site_show}/"
