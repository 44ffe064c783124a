"""Every list the API serves, as a source: which rows, in which order (wire-format.md §4.4).

Shows appear only when listed (``LISTED``: public and ready); the predicate is spelled as the
partial indexes spell it, so SQLite can use them. Each dated source walks an index that starts
with its filter columns and continues with its list time.
"""

from __future__ import annotations

from mixcast.db.schema import listed_sql
from mixcast.lists.keyset import Dated, Ranked

LISTED = listed_sql("s")

# ---- a user's lists (``:owner`` is the user's id)

# The shows on the user's profile: their own and the ones they host (``profile_shows``).
USER_CLOUDCASTS = Dated(
    "FROM profile_shows x JOIN shows s ON s.id = x.show_id"
    f" WHERE x.user_id = :owner AND x.published_at IS NOT NULL AND {LISTED}",
    "x.show_id",
    "x.published_at",
    "x.show_id",
)


def _user_engagement(table: str) -> Dated:
    return Dated(
        f"FROM {table} x JOIN shows s ON s.id = x.show_id WHERE x.user_id = :owner AND {LISTED}",
        "x.show_id",
        "x.created_at",
        "x.show_id",
    )


USER_FAVORITES = _user_engagement("favorites")
USER_REPOSTS = _user_engagement("reposts")
USER_LISTEN_LATER = _user_engagement("listen_later")
USER_LISTENS = Dated(
    f"FROM listens x JOIN shows s ON s.id = x.show_id WHERE x.user_id = :owner AND {LISTED}",
    "x.show_id",
    "x.created_at",
    "x.id",
)
USER_FOLLOWERS = Dated(
    "FROM follows x WHERE x.followee_id = :owner", "x.follower_id", "x.created_at", "x.follower_id"
)
USER_FOLLOWING = Dated(
    "FROM follows x WHERE x.follower_id = :owner", "x.followee_id", "x.created_at", "x.followee_id"
)
PROFILE_COMMENTS = Dated(
    "FROM comments c WHERE c.profile_id = :owner", "c.id", "c.created_at", "c.id"
)
USER_PLAYLISTS = Dated(
    "FROM playlists pl WHERE pl.owner_id = :owner", "pl.id", "pl.created_at", "pl.id"
)

# The feed: the user's own activity. Ties are made unique across kinds (id * 4 + kind).
FEED_KINDS = ("upload", "favorite", "repost", "listen")
USER_FEED = (
    Dated(
        f"FROM shows s WHERE s.owner_id = :owner AND {LISTED}",
        "s.id", "s.published_at", "s.id * 4", "0",
    ),
    Dated(
        f"FROM favorites x JOIN shows s ON s.id = x.show_id WHERE x.user_id = :owner AND {LISTED}",
        "x.show_id", "x.created_at", "x.show_id * 4 + 1", "1",
    ),
    Dated(
        f"FROM reposts x JOIN shows s ON s.id = x.show_id WHERE x.user_id = :owner AND {LISTED}",
        "x.show_id", "x.created_at", "x.show_id * 4 + 2", "2",
    ),
    Dated(
        f"FROM listens x JOIN shows s ON s.id = x.show_id WHERE x.user_id = :owner AND {LISTED}",
        "x.show_id", "x.created_at", "x.id * 4 + 3", "3",
    ),
)  # fmt: skip

PLAYLIST_CLOUDCASTS = Ranked(
    f"FROM playlist_items x JOIN shows s ON s.id = x.show_id"
    f" WHERE x.playlist_id = :playlist AND {LISTED}",
    "x.show_id",
    "x.position, x.show_id",
)

# ---- a show's lists (``:show`` is the show's id); the items are users or comments


def _show_engagement(table: str) -> Dated:
    return Dated(
        f"FROM {table} x WHERE x.show_id = :show", "x.user_id", "x.created_at", "x.user_id"
    )


SHOW_FAVORITES = _show_engagement("favorites")
SHOW_REPOSTS = _show_engagement("reposts")
SHOW_LISTENERS = Dated(
    "FROM show_listeners x WHERE x.show_id = :show AND x.user_id IS NOT NULL",
    "x.user_id",
    "x.first_at",
    "x.user_id",
)
SHOW_COMMENTS = Dated("FROM comments c WHERE c.show_id = :show", "c.id", "c.created_at", "c.id")

# ---- shows everywhere, and by tag (``:tag``) and city (``:city``)

NEW = Dated(
    f"FROM shows s WHERE {LISTED} AND s.published_at IS NOT NULL", "s.id", "s.published_at", "s.id"
)
CITY_NEW = Dated(
    f"FROM shows s WHERE s.city_tag_id = :city AND {LISTED} AND s.published_at IS NOT NULL",
    "s.id",
    "s.published_at",
    "s.id",
)
_TAGGED = "FROM show_tags x JOIN shows s ON s.id = x.show_id WHERE x.tag_id = :tag"
TAG_NEW = Dated(
    f"{_TAGGED} AND x.published_at IS NOT NULL AND {LISTED}",
    "x.show_id",
    "x.published_at",
    "x.show_id",
)
TAG_CITY_NEW = Dated(
    f"{_TAGGED} AND x.published_at IS NOT NULL AND s.city_tag_id = :city AND {LISTED}",
    "x.show_id",
    "x.published_at",
    "x.show_id",
)


def _ranked(score: str) -> dict[str, Ranked]:
    """The ranked lists by one score: only shows with activity (score > 0) are ranked."""
    return {
        "all": Ranked(
            f"FROM shows s WHERE s.{score} > 0 AND {LISTED}", "s.id", f"s.{score} DESC, s.id DESC"
        ),
        "city": Ranked(
            f"FROM shows s WHERE s.city_tag_id = :city AND s.{score} > 0 AND {LISTED}",
            "s.id",
            f"s.{score} DESC, s.id DESC",
        ),
        "tag": Ranked(
            f"{_TAGGED} AND x.{score} > 0 AND {LISTED}",
            "x.show_id",
            f"x.{score} DESC, x.show_id DESC",
        ),
        "tag_city": Ranked(
            f"{_TAGGED} AND x.{score} > 0 AND s.city_tag_id = :city AND {LISTED}",
            "x.show_id",
            f"x.{score} DESC, x.show_id DESC",
        ),
    }


POPULAR = _ranked("popular_score")
HOT = _ranked("hot_score")
