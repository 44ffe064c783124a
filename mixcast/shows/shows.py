"""Creating shows and reading them for the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mixcast.accounts.usernames import USERNAME
from mixcast.db.database import Connection, Query, Row
from mixcast.errors import AppError
from mixcast.search.index import index_show
from mixcast.shows.listing import add_to_profile
from mixcast.shows.visibility import STATUSES, VISIBILITIES, listed
from mixcast.slugs import normalize_slug, slugify
from mixcast.tags.tags import CITY, GENRE, ensure_tag

SHOW_COLUMNS = """
    s.id, s.owner_id, s.slug, s.name, s.description, s.audio_length, s.picture_id,
    p.primary_color AS picture_primary_color, s.visibility, s.status, s.hide_stats,
    s.play_count, s.favorite_count, s.listener_count, s.repost_count, s.comment_count,
    s.created_at, s.updated_at, s.published_at,
    u.username, u.display_name, u.picture_id AS user_picture_id
"""

_BY_KEY = Query(
    f"""
    SELECT {SHOW_COLUMNS}, s.failure_reason, s.publish_at, s.disable_comments
    FROM shows s JOIN users u ON u.id = s.owner_id LEFT JOIN pictures p ON p.id = s.picture_id
    WHERE u.username_key = :user_key AND s.slug = :slug
    """
)
TAGS_OF_SHOWS = Query(
    """
    SELECT st.show_id, t.slug, t.name FROM show_tags st JOIN tags t ON t.id = st.tag_id
    WHERE st.show_id IN :ids AND t.kind = 'genre' ORDER BY st.show_id, st.position
    """
)
TAGS_OF_SHOW = Query(
    """
    SELECT t.slug, t.name FROM show_tags st JOIN tags t ON t.id = st.tag_id
    WHERE st.show_id = :id AND t.kind = 'genre' ORDER BY st.position
    """
)
SECTIONS_OF_SHOW = Query(
    """
    SELECT position, section_type, artist, song, chapter, start_time FROM sections
    WHERE show_id = :id ORDER BY position
    """
)
HOSTS_OF_SHOW = Query(
    """
    SELECT u.username, u.display_name, u.picture_id FROM show_hosts h
    JOIN users u ON u.id = h.user_id WHERE h.show_id = :id ORDER BY h.position
    """
)
_SLUG_TAKEN = Query("SELECT 1 FROM shows WHERE owner_id = :owner_id AND slug = :slug")
_OWNER_CITY = Query("SELECT city FROM users WHERE id = :id")
_INSERT = Query(
    """
    INSERT INTO shows (owner_id, slug, name, description, audio_length, picture_id, city_tag_id,
        visibility, status, hide_stats, disable_comments, original_blob, stream_blob,
        waveform_blob, picture_blob, original_crc32, created_at, updated_at, published_at,
        publish_at)
    VALUES (:owner_id, :slug, :name, :description, :audio_length, :picture_id, :city_tag_id,
        :visibility, :status, :hide_stats, :disable_comments, :original_blob, :stream_blob,
        :waveform_blob, :picture_blob, :original_crc32, :now, :now, :published_at,
        :publish_at)
    RETURNING id
    """
)
_INSERT_TAG = Query(
    "INSERT INTO show_tags (show_id, tag_id, position, published_at)"
    " VALUES (:show_id, :tag_id, :position, :published_at)"
)
_INSERT_SECTION = Query(
    """
    INSERT INTO sections (show_id, position, section_type, artist, song, chapter, start_time)
    VALUES (:show_id, :position, :section_type, :artist, :song, :chapter, :start_time)
    """
)
_COUNT_UPLOAD = Query("UPDATE users SET cloudcast_count = cloudcast_count + 1 WHERE id = :id")


class InvalidShow(AppError):
    type = "InvalidShowException"
    http_status = 400


@dataclass(frozen=True)
class Section:
    """A track (artist and song) or a chapter, starting at ``start_time`` seconds."""

    artist: str | None = None
    song: str | None = None
    chapter: str | None = None
    start_time: int | None = None

    @property
    def section_type(self) -> str:
        return "chapter" if self.chapter is not None else "track"


@dataclass(frozen=True)
class NewShow:
    owner_id: int
    name: str
    description: str = ""
    tags: Sequence[str] = ()
    sections: Sequence[Section] = ()
    audio_length: int | None = None
    picture_id: str | None = None
    visibility: str = "public"
    status: str = "ready"
    hide_stats: bool = False
    disable_comments: bool = False
    original_blob: str | None = None
    stream_blob: str | None = None
    waveform_blob: str | None = None
    picture_blob: str | None = None  # an uploaded picture the pipeline has yet to cut
    original_crc32: str | None = None
    publish_at: int | None = None


async def get_show(conn: Connection, username: str, slug: str) -> Row | None:
    """The show at ``/<username>/<slug>/`` whoever may see it; callers check visibility."""
    # 1024, not the stored slugs' 255: a decomposed (NFD) slug from a path is longer than the
    # stored NFC one; the bound only keeps absurd paths from being normalised.
    if not USERNAME.match(username) or len(slug) > 1024 or "\x00" in slug:
        return None
    return await conn.fetch_one(
        _BY_KEY, {"user_key": username.casefold(), "slug": normalize_slug(slug)}
    )


# A user's lists and actions live beside the user's shows (/spartacus/cloudcasts/): no show may
# take one of their names as its slug.
RESERVED_SLUGS = frozenset(
    ("cloudcasts", "favorites", "listens", "followers", "following", "comments", "playlists",
     "feed", "follow", "reposts", "listen-later", "embed-html", "embed-json")
)  # fmt: skip


async def free_slug(
    conn: Connection,
    taken: Query,
    owner_id: int,
    base: str,
    reserved: frozenset[str] = frozenset(),
) -> str:
    """``base``, or ``base-2``, ``base-3`` ...: the first that ``taken`` (a query on
    ``:owner_id`` and ``:slug``) does not find and that is not reserved."""
    slug, n = base, 1
    if slug in reserved:
        slug, n = f"{base}-2", 2
    while await conn.fetch_one(taken, {"owner_id": owner_id, "slug": slug}):
        n += 1
        slug = f"{base}-{n}"
    return slug


async def unique_slug(conn: Connection, owner_id: int, name: str) -> str:
    return await free_slug(conn, _SLUG_TAKEN, owner_id, slugify(name) or "show", RESERVED_SLUGS)


def check_sections(sections: Sequence[Section]) -> None:
    for section in sections:
        if section.section_type == "track" and not (section.artist and section.song):
            raise InvalidShow("A track section needs both an artist and a song.")


_DROP_TAGS = Query("DELETE FROM show_tags WHERE show_id = :id")
_DROP_SECTIONS = Query("DELETE FROM sections WHERE show_id = :id")


async def write_tags(
    conn: Connection, show_id: int, names: Sequence[str], published_at: int | None
) -> None:
    """Make ``names`` the show's genre tags, in order (``published_at``: null unless listed)."""
    await conn.execute(_DROP_TAGS, {"id": show_id})
    tag_ids: list[int] = []
    for name in names:  # "Funk" and "funk" are one tag: keep its first place
        tag_id = await ensure_tag(conn, GENRE, name)
        if tag_id not in tag_ids:
            tag_ids.append(tag_id)
    for position, tag_id in enumerate(tag_ids):
        await conn.execute(
            _INSERT_TAG,
            {
                "show_id": show_id,
                "tag_id": tag_id,
                "position": position,
                "published_at": published_at,
            },
        )


async def write_sections(conn: Connection, show_id: int, sections: Sequence[Section]) -> None:
    """Make ``sections`` the show's whole tracklist, in order."""
    check_sections(sections)
    await conn.execute(_DROP_SECTIONS, {"id": show_id})
    for position, section in enumerate(sections):
        await conn.execute(
            _INSERT_SECTION,
            {
                "show_id": show_id,
                "position": position,
                "section_type": section.section_type,
                "artist": section.artist,
                "song": section.song,
                "chapter": section.chapter,
                "start_time": section.start_time,
            },
        )


async def create_show(conn: Connection, show: NewShow, now: int) -> tuple[int, str]:
    """Insert a show with its tags and sections; return its id and slug.

    Keeps the owner's ``cloudcast_count`` in step when the show is listed from the start.
    """
    if show.visibility not in VISIBILITIES or show.status not in STATUSES:
        raise InvalidShow("Unknown visibility or status.")
    if not show.name.strip():
        raise InvalidShow("A show needs a name.")
    check_sections(show.sections)
    slug = await unique_slug(conn, show.owner_id, show.name)
    city = await conn.fetch_value(_OWNER_CITY, {"id": show.owner_id})
    # A city with no letter or digit (the profile form takes "🌍") has no tag to be listed under.
    city_tag_id = await ensure_tag(conn, CITY, city) if city and slugify(city) else None
    is_listed = listed(show.visibility, show.status)
    published_at = now if is_listed else None
    show_id: int = await conn.fetch_value(
        _INSERT,
        {
            "owner_id": show.owner_id,
            "slug": slug,
            "name": show.name.strip(),
            "description": show.description,
            "audio_length": show.audio_length,
            "picture_id": show.picture_id,
            "city_tag_id": city_tag_id,
            "visibility": show.visibility,
            "status": show.status,
            "hide_stats": show.hide_stats,
            "disable_comments": show.disable_comments,
            "original_blob": show.original_blob,
            "stream_blob": show.stream_blob,
            "waveform_blob": show.waveform_blob,
            "picture_blob": show.picture_blob,
            "original_crc32": show.original_crc32,
            "now": now,
            "published_at": published_at,
            "publish_at": show.publish_at,
        },
    )
    await write_tags(conn, show_id, show.tags, published_at)
    await write_sections(conn, show_id, show.sections)
    await add_to_profile(conn, show.owner_id, show_id, published_at)
    if is_listed:
        await conn.execute(_COUNT_UPLOAD, {"id": show.owner_id})
        await index_show(conn, show_id)
    return show_id, slug
