"""What a username may be. Usernames share the first path segment with the site's and the API's
own paths, so those words are reserved."""

from __future__ import annotations

import re

from mixcast.errors import AppError

USERNAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")

RESERVED = frozenset(
    [
        "about",
        "account",
        "accounts",
        "admin",
        "api",
        "app",
        "apps",
        "artist",
        "artists",
        "assets",
        "categories",
        "category",
        "city",
        "cloudcast",
        "cloudcasts",
        "comments",
        "connect",
        "dashboard",
        "developer",
        "developers",
        "discover",
        "embed",
        "embed-html",
        "embed-json",
        "explore",
        "favicon.ico",
        "favorites",
        "feed",
        "genres",
        "help",
        "home",
        "listen-later",
        "listens",
        "login",
        "logout",
        "me",
        "media",
        "new",
        "notifications",
        "oauth",
        "oembed",
        "player",
        "player-widget",
        "playlists",
        "popular",
        "privacy",
        "profile",
        "register",
        "repost",
        "reposts",
        "robots.txt",
        "search",
        "select",
        "settings",
        "signin",
        "signout",
        "signup",
        "static",
        "tag",
        "tags",
        "terms",
        "thumbnailer",
        "track",
        "tracks",
        "upload",
        "uploads",
        "user",
        "users",
        "widget",
        "www",
    ]
)


class InvalidUsername(AppError):
    type = "InvalidUsernameException"
    http_status = 400


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise InvalidUsername(
            "A username is 1 to 64 characters: letters, digits, hyphens and underscores."
        )
    if username.casefold() in RESERVED:
        raise InvalidUsername(f"The username {username!r} is reserved.")
    return username


def username_key(username: str) -> str:
    """The case-insensitive look-up key stored in ``users.username_key``."""
    return username.casefold()
