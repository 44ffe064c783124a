"""The whole schema, in SQLAlchemy Core. Alembic migrations are written against it and run the
same on SQLite and PostgreSQL.

Conventions:
- Every time is an integer count of **microseconds since the Unix epoch, UTC** (``*_at``).
  Integers compare and index the same on both databases, need no parsing on the hot read path,
  and the sub-second part makes ties in keyset paging rare (list indexes end in a tie-breaker).
- Counters (``follower_count``, ``play_count`` ...) live on the rows they describe and are
  changed in the same transaction as the rows they count (see ``db.counters``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PKs only


def _id() -> Column[int]:
    return Column("id", ID, primary_key=True, autoincrement=True)


def _time(name: str, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, nullable=nullable)


def _count(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, server_default="0")


def _user_fk(name: str, nullable: bool = False) -> Column[int]:
    return Column(name, ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


def _show_fk(name: str = "show_id", nullable: bool = False) -> Column[int]:
    return Column(name, ID, ForeignKey("shows.id", ondelete="CASCADE"), nullable=nullable)


# Stored pictures. The original and every rendition live in storage under pictures/<id>/.
pictures = Table(
    "pictures",
    metadata,
    Column("id", String(32), primary_key=True),  # random hex, also the storage folder
    Column("kind", String(16), nullable=False),  # profile | profile_cover | extaudio
    Column("primary_color", String(6), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    _time("created_at"),
    CheckConstraint("kind IN ('profile', 'profile_cover', 'extaudio')", name="kind"),
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("username", String(64), nullable=False),
    # casefold(username): the lookup key, unique, so Spartacus and spartacus are one user.
    Column("username_key", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("email", String(254), nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("biog", Text, nullable=False, server_default=""),
    Column("city", String(128), nullable=False, server_default=""),
    Column("country", String(128), nullable=False, server_default=""),
    Column("is_pro", Boolean, nullable=False, server_default="0"),
    Column("is_premium", Boolean, nullable=False, server_default="0"),
    Column("picture_id", String(32), ForeignKey("pictures.id"), nullable=True),
    Column("cover_picture_id", String(32), ForeignKey("pictures.id"), nullable=True),
    _count("follower_count"),
    _count("following_count"),
    _count("favorite_count"),
    _count("listen_count"),
    _count("cloudcast_count"),
    _time("created_at"),
    _time("updated_at"),
)
# Emails are stored lower-cased; one account per address (NULL for accounts without one).
Index("uq_users_email", users.c.email, unique=True)

# Site sign-in sessions. The cookie holds a random token; the row holds its sha256, so a leaked
# database holds no usable session. Signing out deletes the row.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _user_fk("user_id"),
    _time("created_at"),
    _time("expires_at"),
)
Index("ix_sessions_user", sessions.c.user_id)

tags = Table(
    "tags",
    metadata,
    _id(),
    Column("kind", String(8), nullable=False),  # genre | city
    Column("slug", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    UniqueConstraint("kind", "slug", name="uq_tags_kind_slug"),
    CheckConstraint("kind IN ('genre', 'city')", name="kind"),
)

shows = Table(
    "shows",
    metadata,
    _id(),
    _user_fk("owner_id"),
    Column("slug", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("audio_length", Integer, nullable=True),  # whole seconds, known once probed
    Column("picture_id", String(32), ForeignKey("pictures.id"), nullable=True),
    # The owner's city when the show was uploaded: feeds /genres/city:<x>/ lists.
    Column("city_tag_id", ID, ForeignKey("tags.id"), nullable=True),
    Column("visibility", String(10), nullable=False, server_default="public"),
    Column("status", String(10), nullable=False, server_default="received"),
    Column("failure_reason", Text, nullable=True),
    Column("hide_stats", Boolean, nullable=False, server_default="0"),
    Column("disable_comments", Boolean, nullable=False, server_default="0"),
    # Storage keys of the media the pipeline made; null until made.
    Column("original_blob", String(255), nullable=True),
    Column("stream_blob", String(255), nullable=True),
    Column("waveform_blob", String(255), nullable=True),
    # An uploaded picture waiting for the pipeline to cut its renditions (then deleted).
    Column("picture_blob", String(255), nullable=True),
    Column("original_crc32", String(8), nullable=True),  # as received, 8 hex digits
    # The pipeline's claim on the show while ``processing``: another run may take it over only
    # once this time has passed (a worker killed mid-job leaves its claim to expire).
    _time("lease_until", nullable=True),
    _count("play_count"),
    _count("favorite_count"),
    _count("listener_count"),
    _count("repost_count"),
    _count("comment_count"),
    Column("popular_score", Float, nullable=False, server_default="0"),
    Column("hot_score", Float, nullable=False, server_default="0"),
    _time("created_at"),
    _time("updated_at"),
    _time("published_at", nullable=True),  # first became public
    _time("publish_at", nullable=True),  # scheduled publishing (visibility = scheduled)
    UniqueConstraint("owner_id", "slug", name="uq_shows_owner_slug"),
    CheckConstraint(
        "visibility IN ('draft', 'unlisted', 'scheduled', 'public')", name="visibility"
    ),
    CheckConstraint("status IN ('received', 'processing', 'ready', 'failed')", name="status"),
)


# What lists and search may show: ready and public. Partial indexes carry this predicate, and
# every list query repeats it word for word (SQLite uses a partial index only then).
def listed_sql(alias: str = "") -> str:
    """The predicate in SQL, for ``shows`` or for its ``alias`` (``listed_sql("s")``)."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}visibility = 'public' AND {prefix}status = 'ready'"


LISTED_SQL = listed_sql()


def _listed_index(name: str, *columns: Column[Any], where: str = LISTED_SQL) -> Index:
    """A partial index over listed shows: each list's order, ending in the tie-breaking id."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


Index("ix_shows_owner_created", shows.c.owner_id, shows.c.created_at)
_listed_index("ix_shows_new", shows.c.published_at, shows.c.id)
_listed_index("ix_shows_owner_new", shows.c.owner_id, shows.c.published_at, shows.c.id)
_listed_index("ix_shows_city_new", shows.c.city_tag_id, shows.c.published_at, shows.c.id)
# Scheduled shows by their publishing time: the periodic publisher's range scan.
Index(
    "ix_shows_scheduled",
    shows.c.publish_at,
    sqlite_where=text("visibility = 'scheduled'"),
    postgresql_where=text("visibility = 'scheduled'"),
)
# Which show holds a stored original: the sweep of originals nobody references.
Index("ix_shows_original_blob", shows.c.original_blob)
Index(
    "ix_shows_picture_blob",
    shows.c.picture_blob,
    sqlite_where=text("picture_blob IS NOT NULL"),
    postgresql_where=text("picture_blob IS NOT NULL"),
)
# Shows the pipeline has not finished: the sweep that re-sends their jobs.
Index(
    "ix_shows_unfinished",
    shows.c.status,
    shows.c.updated_at,
    sqlite_where=text("status = 'received' OR status = 'processing'"),
    postgresql_where=text("status = 'received' OR status = 'processing'"),
)
for _score in ("popular_score", "hot_score"):  # ix_shows_popular, ix_shows_hot
    _listed_index(
        f"ix_shows_{_score.removesuffix('_score')}",
        shows.c[_score],
        shows.c.id,
        where=f"{_score} > 0 AND {LISTED_SQL}",
    )

sections = Table(
    "sections",
    metadata,
    _id(),
    _show_fk(),
    Column("position", Integer, nullable=False),
    Column("section_type", String(8), nullable=False),  # track | chapter
    Column("artist", String(255), nullable=True),
    Column("song", String(255), nullable=True),
    Column("chapter", String(255), nullable=True),
    Column("start_time", Integer, nullable=True),
    UniqueConstraint("show_id", "position", name="uq_sections_show_position"),
    CheckConstraint(
        "(section_type = 'track' AND artist IS NOT NULL AND song IS NOT NULL)"
        " OR (section_type = 'chapter' AND chapter IS NOT NULL)",
        name="shape",
    ),
)

show_tags = Table(
    "show_tags",
    metadata,
    _show_fk(),
    Column("tag_id", ID, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    # Copied from the show (null while it is not listed) so a tag's newest-first, popular and
    # hot lists are each one index range scan.
    _time("published_at", nullable=True),
    Column("popular_score", Float, nullable=False, server_default="0"),
    Column("hot_score", Float, nullable=False, server_default="0"),
    UniqueConstraint("show_id", "tag_id", name="uq_show_tags_show_tag"),
)
Index(
    "ix_show_tags_tag_published", show_tags.c.tag_id, show_tags.c.published_at, show_tags.c.show_id
)
for _score in ("popular_score", "hot_score"):  # ix_show_tags_tag_popular, ix_show_tags_tag_hot
    Index(
        f"ix_show_tags_tag_{_score.removesuffix('_score')}",
        show_tags.c.tag_id,
        show_tags.c[_score],
        show_tags.c.show_id,
        sqlite_where=text(f"{_score} > 0"),
        postgresql_where=text(f"{_score} > 0"),
    )

# Another account's invitation to be tagged as a host on the owner's shows.
host_invitations = Table(
    "host_invitations",
    metadata,
    _user_fk("owner_id"),
    _user_fk("host_id"),
    _time("created_at"),
    _time("accepted_at", nullable=True),
    UniqueConstraint("owner_id", "host_id", name="uq_host_invitations_owner_host"),
)

show_hosts = Table(
    "show_hosts",
    metadata,
    _show_fk(),
    _user_fk("user_id"),
    Column("position", Integer, nullable=False),
    UniqueConstraint("show_id", "user_id", name="uq_show_hosts_show_user"),
)

# The shows on each user's profile (``/<user>/cloudcasts/``): the owner's own and the ones the
# user hosts. ``published_at`` is copied from the show while it is listed (null otherwise), so
# the list is one index range scan, as a tag's is (``shows.listing`` keeps it in step).
profile_shows = Table(
    "profile_shows",
    metadata,
    _user_fk("user_id"),
    _show_fk(),
    _time("published_at", nullable=True),
    UniqueConstraint("user_id", "show_id", name="uq_profile_shows_user_show"),
)
Index(
    "ix_profile_shows_user_published",
    profile_shows.c.user_id,
    profile_shows.c.published_at,
    profile_shows.c.show_id,
)
Index("ix_profile_shows_show", profile_shows.c.show_id)
Index("ix_show_hosts_user", show_hosts.c.user_id)

follows = Table(
    "follows",
    metadata,
    _user_fk("follower_id"),
    _user_fk("followee_id"),
    _time("created_at"),
    UniqueConstraint("follower_id", "followee_id", name="uq_follows_pair"),
    CheckConstraint("follower_id <> followee_id", name="not_self"),
)
# Every list index ends in the list's tie-breaker, so the index holds the list's whole order.
Index(
    "ix_follows_follower_created",
    follows.c.follower_id,
    follows.c.created_at,
    follows.c.followee_id,
)
Index(
    "ix_follows_followee_created",
    follows.c.followee_id,
    follows.c.created_at,
    follows.c.follower_id,
)


def _engagement(name: str) -> Table:
    """favorites, reposts and listen_later share one shape: a user, a show, a time."""
    table = Table(
        name,
        metadata,
        _user_fk("user_id"),
        _show_fk(),
        _time("created_at"),
        UniqueConstraint("user_id", "show_id", name=f"uq_{name}_pair"),
    )
    Index(f"ix_{name}_user_created", table.c.user_id, table.c.created_at, table.c.show_id)
    Index(f"ix_{name}_show_created", table.c.show_id, table.c.created_at, table.c.user_id)
    return table


favorites = _engagement("favorites")
reposts = _engagement("reposts")
listen_later = _engagement("listen_later")

listens = Table(
    "listens",
    metadata,
    _id(),
    _show_fk(),
    _user_fk("user_id", nullable=True),  # null for anonymous listeners
    # Who listened: "u:<user id>" or "a:<anonymous listener id>"; listener_count counts these.
    # 80: "a:" and an anonymous id of up to 64 characters, with room to spare (migration 0007).
    Column("listener", String(80), nullable=False),
    _time("created_at"),
)
Index("ix_listens_user_created", listens.c.user_id, listens.c.created_at, listens.c.id)
Index("ix_listens_show_created", listens.c.show_id, listens.c.created_at, listens.c.id)
# "Has this listener a listen of this show in the last hour?" (mixcast.shows.listens).
Index(
    "ix_listens_show_listener_created",
    listens.c.show_id,
    listens.c.listener,
    listens.c.created_at,
)

# One row per (show, listener) ever heard: listener_count counts these. The unique pair makes
# "is this a new listener?" an atomic insert instead of a racy look-then-insert.
show_listeners = Table(
    "show_listeners",
    metadata,
    _show_fk(),
    Column("listener", String(80), nullable=False),  # as listens.listener
    _user_fk("user_id", nullable=True),  # the user behind "u:<id>": a show's listeners list
    _time("first_at"),
    UniqueConstraint("show_id", "listener", name="uq_show_listeners_pair"),
)
Index(
    "ix_show_listeners_show_first",
    show_listeners.c.show_id,
    show_listeners.c.first_at,
    show_listeners.c.user_id,
)

comments = Table(
    "comments",
    metadata,
    _id(),
    _user_fk("author_id"),
    # A comment is on a show or on a user's profile, never both.
    _show_fk(nullable=True),
    _user_fk("profile_id", nullable=True),
    Column("body", Text, nullable=False),
    _time("created_at"),
    CheckConstraint("(show_id IS NULL) <> (profile_id IS NULL)", name="one_target"),
)
Index("ix_comments_show_created", comments.c.show_id, comments.c.created_at, comments.c.id)
Index("ix_comments_profile_created", comments.c.profile_id, comments.c.created_at, comments.c.id)

playlists = Table(
    "playlists",
    metadata,
    _id(),
    _user_fk("owner_id"),
    Column("slug", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _count("cloudcast_count"),
    _time("created_at"),
    _time("updated_at"),
    UniqueConstraint("owner_id", "slug", name="uq_playlists_owner_slug"),
)

Index("ix_playlists_owner_created", playlists.c.owner_id, playlists.c.created_at, playlists.c.id)

playlist_items = Table(
    "playlist_items",
    metadata,
    Column("playlist_id", ID, ForeignKey("playlists.id", ondelete="CASCADE"), nullable=False),
    _show_fk(),
    Column("position", Integer, nullable=False),
    _time("created_at"),
    UniqueConstraint("playlist_id", "show_id", name="uq_playlist_items_pair"),
)
Index(
    "ix_playlist_items_playlist_position",
    playlist_items.c.playlist_id,
    playlist_items.c.position,
    playlist_items.c.show_id,
)

oauth_apps = Table(
    "oauth_apps",
    metadata,
    _id(),
    _user_fk("owner_id"),
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret_hash", String(128), nullable=False),  # sha256 hex; shown once
    _time("created_at"),
)

oauth_redirect_uris = Table(
    "oauth_redirect_uris",
    metadata,
    Column("app_id", ID, ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False),
    Column("uri", String(2048), nullable=False),
    UniqueConstraint("app_id", "uri", name="uq_oauth_redirect_uris_app_uri"),
)

oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("app_id", ID, ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False),
    _user_fk("user_id"),
    Column("redirect_uri", String(2048), nullable=True),
    Column("code_challenge", String(128), nullable=True),  # PKCE S256
    _time("expires_at"),
    _time("used_at", nullable=True),
)

oauth_tokens = Table(
    "oauth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex of the token
    Column("app_id", ID, ForeignKey("oauth_apps.id", ondelete="CASCADE"), nullable=False),
    _user_fk("user_id"),
    Column("code_hash", String(64), nullable=True),  # the code it came from
    _time("created_at"),
    _time("revoked_at", nullable=True),
)
Index("ix_oauth_tokens_user", oauth_tokens.c.user_id)
Index("ix_oauth_tokens_code", oauth_tokens.c.code_hash)
Index("ix_oauth_tokens_app", oauth_tokens.c.app_id)
Index("ix_oauth_apps_owner", oauth_apps.c.owner_id)
