"""list order indexes: every list index ends in its list's tie-breaker

A list is read newest first by (list time, tie-breaker). With the tie-breaker in the index the
index holds the list's whole order and a page never sorts, at any depth.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (index, table, columns before, columns after, partial-index predicate)
CHANGED: list[tuple[str, str, list[str], list[str], str | None]] = [
    ("ix_show_tags_tag_published", "show_tags", ["tag_id", "published_at"],
     ["tag_id", "published_at", "show_id"], None),
    ("ix_show_tags_tag_popular", "show_tags", ["tag_id", "popular_score"],
     ["tag_id", "popular_score", "show_id"], "popular_score > 0"),
    ("ix_show_tags_tag_hot", "show_tags", ["tag_id", "hot_score"],
     ["tag_id", "hot_score", "show_id"], "hot_score > 0"),
    ("ix_follows_follower_created", "follows", ["follower_id", "created_at"],
     ["follower_id", "created_at", "followee_id"], None),
    ("ix_follows_followee_created", "follows", ["followee_id", "created_at"],
     ["followee_id", "created_at", "follower_id"], None),
    *[
        (f"ix_{table}_{who}_created", table, [f"{who}_id", "created_at"],
         [f"{who}_id", "created_at", f"{other}_id"], None)
        for table in ("favorites", "reposts", "listen_later")
        for who, other in (("user", "show"), ("show", "user"))
    ],
    ("ix_listens_user_created", "listens", ["user_id", "created_at"],
     ["user_id", "created_at", "id"], None),
    ("ix_listens_show_created", "listens", ["show_id", "created_at"],
     ["show_id", "created_at", "id"], None),
    ("ix_show_listeners_show_first", "show_listeners", ["show_id", "first_at"],
     ["show_id", "first_at", "user_id"], None),
    ("ix_comments_show_created", "comments", ["show_id", "created_at"],
     ["show_id", "created_at", "id"], None),
    ("ix_comments_profile_created", "comments", ["profile_id", "created_at"],
     ["profile_id", "created_at", "id"], None),
]  # fmt: skip
ADDED = [
    ("ix_playlists_owner_created", "playlists", ["owner_id", "created_at", "id"]),
    ("ix_playlist_items_playlist_position", "playlist_items", ["playlist_id", "position", "show_id"]),
]  # fmt: skip


def _where(predicate: str | None) -> dict[str, Any]:
    if predicate is None:
        return {}
    return {"sqlite_where": sa.text(predicate), "postgresql_where": sa.text(predicate)}


def upgrade() -> None:
    for name, table, _, after, predicate in CHANGED:
        op.drop_index(name, table)
        op.create_index(name, table, after, **_where(predicate))
    for name, table, columns in ADDED:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in ADDED:
        op.drop_index(name, table)
    for name, table, before, _, predicate in CHANGED:
        op.drop_index(name, table)
        op.create_index(name, table, before, **_where(predicate))
