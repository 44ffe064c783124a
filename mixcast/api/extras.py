"""The token extras (api-docs.md "Authorization"): with an access token, users gain
``following`` (the token's user follows them) and ``follower`` (they follow the token's user),
full user objects also ``is_current_user``, and shows gain ``favorited``, ``reposted`` and
``listen_later``. One query per kind for a whole page; nothing at all without a token.

The rendered dicts may be shared render-cache entries, so extras go on copies.
"""

from __future__ import annotations

from typing import Any

from mixcast.accounts.follows import follow_flags
from mixcast.api.render import RenderContext
from mixcast.db.database import Connection
from mixcast.shows.engagement import engagement_marks

Rendered = list[tuple[int, dict[str, Any]]]  # (row id, rendered object)


async def with_user_extras(
    conn: Connection, ctx: RenderContext, users: Rendered, *, full: bool = False
) -> list[dict[str, Any]]:
    viewer = ctx.viewer_id
    if viewer is None:
        return [user for _, user in users]
    following, followers = await follow_flags(conn, viewer, [i for i, _ in users])
    out = []
    for user_id, user in users:
        extra: dict[str, Any] = {
            "following": user_id in following,
            "follower": user_id in followers,
        }
        if full:
            extra["is_current_user"] = user_id == viewer
        out.append({**user, **extra})
    return out


async def with_show_extras(
    conn: Connection, ctx: RenderContext, shows: Rendered
) -> list[dict[str, Any]]:
    viewer = ctx.viewer_id
    if viewer is None:
        return [show for _, show in shows]
    marks = await engagement_marks(conn, viewer, [i for i, _ in shows])
    return [
        {**show, **{mark: show_id in ids for mark, ids in marks.items()}} for show_id, show in shows
    ]
