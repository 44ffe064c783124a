"""Rows to the API's object shapes (wire-format.md §3): users, shows, tags, sections.

Rendering never queries: callers load a page's users, tags and sections in one query each and
pass them in. ``type`` and ``metadata`` appear only when the request had ``metadata=1`` (§2.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from mixcast.clock import iso_z
from mixcast.db.database import Row
from mixcast.pictures.urls import DEFAULT_PRIMARY_COLOR, picture_map
from mixcast.slugs import slugify

USER_CONNECTIONS = (
    "feed",
    "playlists",
    "comments",
    "followers",
    "favorites",
    "following",
    "cloudcasts",
    "listens",
)
SHOW_CONNECTIONS = ("listeners", "similar", "favorites", "reposts", "comments")
TAG_CONNECTIONS = ("popular", "hot", "new", "latest")


@dataclass(frozen=True, slots=True)
class RenderContext:
    site: str  # public site base, e.g. https://www.example.com (object urls)
    api: str  # this request's API base: scheme, host and prefix (connection links)
    metadata: bool  # the request had metadata=1
    viewer_id: int | None = None  # the token's user, when there is one
    viewer_name: str | None = None  # and that user's username


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*\Z")


def _quote(segment: str) -> str:
    """Percent-encode one path segment; most are plain ASCII and are returned as they are."""
    return segment if _URL_SAFE.match(segment) else quote(segment, safe="")


def user_key(username: str) -> str:
    return f"/{_quote(username)}/"


@lru_cache(maxsize=8192)
def show_key(username: str, slug: str) -> str:
    return f"/{_quote(username)}/{_quote(slug)}/"


def tag_key(genre: str | None, city: str | None) -> str:
    parts = []
    if genre:
        parts.append(_quote(genre))
    if city:
        parts.append("city:" + _quote(city))
    return f"/genres/{'+'.join(parts)}/"


def _connections(ctx: RenderContext, key: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {"connections": {name: f"{ctx.api}{key}{name}/" for name in names}}


def user_brief(
    ctx: RenderContext, username: str, name: str, picture_id: str | None
) -> dict[str, Any]:
    """A user nested in another object or listed: url, username, name, key, pictures. Shared
    between the places it appears: never change the dict it returns."""
    return _user_brief(ctx.site, ctx.metadata, username, name, picture_id)


@lru_cache(maxsize=4096)
def _user_brief(
    site: str, metadata: bool, username: str, name: str, picture_id: str | None
) -> dict[str, Any]:
    # Pages repeat their users (a user's own shows, the same followers): rendered once.
    key = user_key(username)
    out: dict[str, Any] = {
        "key": key,
        "url": site + key,
        "name": name,
        "username": username,
        "pictures": picture_map(site, "profile", picture_id),
    }
    if metadata:
        out["type"] = "user"
    return out


def user_full(ctx: RenderContext, user: Row) -> dict[str, Any]:
    """``GET /<user>/``: exactly the 2018 key set (§3.2), which strict clients enforce."""
    out = dict(user_brief(ctx, user["username"], user["display_name"], user["picture_id"]))
    key = out["key"]
    out.update(
        cover_pictures=picture_map(ctx.site, "profile_cover", user["cover_picture_id"]),
        picture_primary_color=user["picture_primary_color"] or DEFAULT_PRIMARY_COLOR,
        biog=user["biog"],
        city=user["city"],
        country=user["country"],
        favorite_count=user["favorite_count"],
        following_count=user["following_count"],
        follower_count=user["follower_count"],
        listen_count=user["listen_count"],
        cloudcast_count=user["cloudcast_count"],
        created_time=iso_z(user["created_at"]),
        updated_time=iso_z(user["updated_at"]),
        is_pro=bool(user["is_pro"]),
        is_premium=bool(user["is_premium"]),
    )
    if ctx.metadata:
        out["metadata"] = _connections(ctx, key, USER_CONNECTIONS)
    return out


def tag(ctx: RenderContext, slug: str, name: str) -> dict[str, Any]:
    """A genre tag nested in a show: key, url, name. Shared: never change the dict returned."""
    return _tag(ctx.site, ctx.metadata, slug, name)


@lru_cache(maxsize=4096)
def _tag(site: str, metadata: bool, slug: str, name: str) -> dict[str, Any]:
    key = tag_key(slug, None)
    out: dict[str, Any] = {"key": key, "url": site + key, "name": name}
    if metadata:
        out["type"] = "tag"
    return out


def tag_object(ctx: RenderContext, genre: Row | None, city: Row | None) -> dict[str, Any]:
    """``GET /genres/<tag>/``, ``/genres/city:<c>/`` and ``/genres/<tag>+city:<c>/``."""
    key = tag_key(genre["slug"] if genre else None, city["slug"] if city else None)
    if genre and city:
        name = f"{genre['name']} shows in {city['name']}"
    elif genre:
        name = f"{genre['name']} shows"
    else:
        assert city is not None
        name = f"Shows in {city['name']}"
    out: dict[str, Any] = {"key": key, "url": ctx.site + key, "name": name}
    if ctx.metadata:
        out["type"] = "tag"
        out["metadata"] = _connections(ctx, key, TAG_CONNECTIONS)
    return out


def _stats_hidden(ctx: RenderContext, show: Row) -> bool:
    return bool(show["hide_stats"]) and ctx.viewer_id != show["owner_id"]


def show_brief(ctx: RenderContext, show: Row, tags: list[tuple[str, str]]) -> dict[str, Any]:
    """A show in a list (§3.3 list form). Hidden stats render as 0, keeping every count an int."""
    site, metadata, username = ctx.site, ctx.metadata, show["username"]
    key = show_key(username, show["slug"])
    hidden = _stats_hidden(ctx, show)
    out: dict[str, Any] = {
        "key": key,
        "url": site + key,
        "name": show["name"],
        "slug": show["slug"],
        "tags": [_tag(site, metadata, slug, name) for slug, name in tags],
        "user": _user_brief(
            site, metadata, username, show["display_name"], show["user_picture_id"]
        ),
        "pictures": picture_map(site, "extaudio", show["picture_id"]),
        "created_time": iso_z(show["published_at"] or show["created_at"]),
        "updated_time": iso_z(show["updated_at"]),
        "audio_length": show["audio_length"] or 0,
        "play_count": 0 if hidden else show["play_count"],
        "favorite_count": 0 if hidden else show["favorite_count"],
        "listener_count": 0 if hidden else show["listener_count"],
        "repost_count": 0 if hidden else show["repost_count"],
        "comment_count": show["comment_count"],
    }
    if ctx.metadata:
        out["type"] = "cloudcast"
    return out


def section(ctx: RenderContext, row: Row) -> dict[str, Any]:
    """A tracklist entry: a track (artist and song) or a chapter (§3.3 Sections)."""
    out: dict[str, Any]
    if row["section_type"] == "chapter":
        out = {"chapter": row["chapter"]}
    else:
        artist_slug, song_slug = slugify(row["artist"]) or "-", slugify(row["song"]) or "-"
        artist_key = f"/artist/{_quote(artist_slug)}/"
        track_key = f"/track/{_quote(artist_slug)}/{_quote(song_slug)}/"
        artist = {
            "name": row["artist"],
            "key": artist_key,
            "url": ctx.site + artist_key,
            "slug": artist_slug,
        }
        track = {
            "name": row["song"],
            "key": track_key,
            "url": ctx.site + track_key,
            "slug": song_slug,
            "artist": artist,
        }
        if ctx.metadata:
            artist["type"] = "artist"
            track["type"] = "track"
        out = {"track": track}
    out.update(
        position=row["position"], start_time=row["start_time"], section_type=row["section_type"]
    )
    if ctx.metadata:
        out["type"] = "section"
    return out


def show_full(
    ctx: RenderContext, show: Row, tags: list[tuple[str, str]], sections: list[Row]
) -> dict[str, Any]:
    """``GET /<user>/<slug>/``: the list form plus description, colour and sections."""
    out = show_brief(ctx, show, tags)
    out["description"] = show["description"]
    out["picture_primary_color"] = show["picture_primary_color"] or DEFAULT_PRIMARY_COLOR
    out["sections"] = [section(ctx, s) for s in sections]
    if ctx.metadata:
        out["metadata"] = _connections(ctx, out["key"], SHOW_CONNECTIONS)
    return out


def listed_user(ctx: RenderContext, row: Row) -> dict[str, Any]:
    """A user in a list (followers, listeners ...): the nested form."""
    return user_brief(ctx, row["username"], row["display_name"], row["picture_id"])


def comment(ctx: RenderContext, row: Row) -> dict[str, Any]:
    """A comment (§3.6): its text, author and time. Comments are read-only in the API."""
    key = f"/comments/{row['comment_id']}/"
    out: dict[str, Any] = {
        "key": key,
        "url": ctx.site + key,
        "comment": row["body"],
        "submit_date": iso_z(row["created_at"]),
        "user": listed_user(ctx, row),
    }
    if ctx.metadata:
        out["type"] = "comment"
    return out


def playlist(ctx: RenderContext, row: Row) -> dict[str, Any]:
    """A playlist (§3.7): its shows are at ``<key>cloudcasts/``."""
    key = f"{user_key(row['username'])}playlists/{_quote(row['slug'])}/"
    out: dict[str, Any] = {
        "key": key,
        "url": ctx.site + key,
        "name": row["name"],
        "slug": row["slug"],
        "description": row["description"],
        "user": listed_user(ctx, row),
        "cloudcast_count": row["cloudcast_count"],
        "created_time": iso_z(row["created_at"]),
        "updated_time": iso_z(row["updated_at"]),
    }
    if ctx.metadata:
        out["type"] = "playlist"
        out["metadata"] = _connections(ctx, key, ("cloudcasts",))
    return out


FEED_TITLES = {
    "upload": "uploaded",
    "favorite": "favorited",
    "repost": "reposted",
    "listen": "listened to",
}


def feed_item(
    ctx: RenderContext,
    owner: Row,
    kind: str,
    item_id: str,
    created_at: int,
    show: dict[str, Any],
) -> dict[str, Any]:
    """One entry of a user's feed (§3.7): who did what to which show, and when."""
    feed_key = f"{user_key(owner['username'])}feed/"
    out: dict[str, Any] = {
        "key": f"{feed_key}{item_id}/",
        "url": f"{ctx.site}{feed_key}#{item_id}",
        "from": listed_user(ctx, owner),
        "title": FEED_TITLES[kind],
        "type": kind,
        "created_time": iso_z(created_at),
        "cloudcasts": [show],
    }
    return out
