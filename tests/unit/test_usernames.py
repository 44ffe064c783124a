"""Usernames share the first path segment with the site's and the API's own paths, so those
words are reserved, whatever their case."""

from __future__ import annotations

import pytest

from mixcast.accounts.usernames import InvalidUsername, check_username, username_key
from mixcast.api.app import ApiApp
from mixcast.web.app import SiteApp
from tests.factories import make_user

pytestmark = pytest.mark.anyio

PATH_WORDS = [
    "api",
    "oauth",
    "oembed",
    "widget",
    "upload",
    "search",
    "popular",
    "new",
    "genres",
    "discover",
    "tag",
    "me",
    "developers",
    "static",
    "media",
    "login",
    "logout",
    "signup",
    "settings",
]


@pytest.mark.parametrize("word", PATH_WORDS)
def test_path_words_are_reserved_in_any_case(word):
    for variant in (word, word.upper(), word.title(), word[:-1] + word[-1].upper()):
        with pytest.raises(InvalidUsername) as raised:
            check_username(variant)
        assert "reserved" in raised.value.message
        assert raised.value.http_status == 400


def _first_segments(paths: list[str]) -> set[str]:
    out = set()
    for path in paths:
        first = path.strip("/").split("/")[0]
        if first and "{" not in first:
            out.add(first)
    return out


async def test_every_literal_first_segment_the_app_serves_is_reserved(services):
    """Whatever the API or the site serve at ``/<word>/...`` cannot also be a user."""
    api = ApiApp(services)
    site = SiteApp(services, api.table)
    words = _first_segments([r.path for r in api.table])
    words |= _first_segments([r.path for r in site.router.routes])  # type: ignore[attr-defined]
    assert {"genres", "discover", "tag", "developers", "media"} <= words
    for word in sorted(words):
        with pytest.raises(InvalidUsername):
            check_username(word)


@pytest.mark.parametrize(
    "name",
    [
        "spartacus",
        "NTSRadio",
        "dj_x",
        "a",
        "a-b",
        "x" * 64,
        "apis",
        "newer",
        "tags2",
        "media-man",
        "me2",
    ],
)
def test_ordinary_names_are_accepted_as_given(name):
    assert check_username(name) == name


@pytest.mark.parametrize(
    "name", ["", "x" * 65, "a b", "a/b", "a.b", "ä", "a%20", "café", "a\n", "\u0130", "a:b", "a+b"]
)
def test_malformed_names_are_refused(name):
    with pytest.raises(InvalidUsername) as raised:
        check_username(name)
    assert raised.value.type == "InvalidUsernameException"


def test_username_key_ignores_case():
    assert username_key("NTSRadio") == username_key("ntsradio") == username_key("NTSRADIO")
    assert username_key("NTSRadio") != username_key("NTSRadi0")


async def test_a_reserved_name_cannot_be_registered(services):
    with pytest.raises(InvalidUsername):
        await make_user(services, "Developers")
