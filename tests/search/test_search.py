"""Full-text search over listed shows, users and genre tags, on the real database (SQLite FTS5,
or PostgreSQL tsvector when MIXCAST_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import random

import pytest

from mixcast.db.database import Query
from mixcast.search import (
    CANDIDATES,
    index_show,
    search_shows,
    search_tags,
    search_users,
    searchable,
    unindex_show,
)
from mixcast.search.query import Terms
from mixcast.services import Services
from mixcast.shows.shows import Section
from mixcast.tags.tags import CITY, GENRE, ensure_tag
from tests.factories import make_show, make_user

pytestmark = pytest.mark.anyio


async def shows(services: Services, text: str, limit: int = 20, offset: int = 0) -> list[int]:
    db = services.db
    return await search_shows(db, text, limit, offset)


async def users(services: Services, text: str, limit: int = 20, offset: int = 0) -> list[int]:
    return await search_users(services.db, text, limit, offset)


async def tags(services: Services, text: str, limit: int = 20, offset: int = 0) -> list[int]:
    return await search_tags(services.db, text, limit, offset)


async def set_show(services: Services, show_id: int, **columns: str) -> None:
    """Change a show's columns as a later edit would, and re-index it in the same transaction."""
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    async with services.db.transaction() as tx:
        await tx.execute(
            Query(f"UPDATE shows SET {sets} WHERE id = :id"), {**columns, "id": show_id}
        )
        await index_show(tx, show_id)


# ------------------------------------------------------------------------------ query parsing


def test_searchable_needs_a_word() -> None:
    assert searchable("party") and searchable("  ü ") and searchable("a-b")
    for junk in ("", "   ", "***", '"', "&|!:()", "_", "-", "\x00", "«»"):
        assert not searchable(junk), junk


def test_queries_are_rebuilt_from_words_only() -> None:
    terms = Terms.parse('deep AND "house" OR NEAR(x* sess')
    assert terms.words == ("deep", "AND", "house", "OR", "NEAR", "x", "sess")
    assert terms.fts5() == '"deep" AND "AND" AND "house" AND "OR" AND "NEAR" AND "x" AND "sess"*'
    assert Terms.parse("a bc").tsquery() == "'a' & 'bc':*"
    assert Terms.parse("b a").tsquery() == "'b' & 'a'"  # a one-letter last word is whole
    assert Terms.parse("deep sess").any_with_weight("A") == "'deep':A | 'sess':*A"


# ------------------------------------------------------------------------------ shows


async def test_ranking_name_then_tags_then_description_then_tracklist(
    services: Services,
) -> None:
    owner = await make_user(services, "owner")
    # Made best-first, so the tie-break (newest first) alone would give the reverse order.
    by_name, _ = await make_show(services, owner, "Quokka Hour")
    by_tag, _ = await make_show(services, owner, "Alpha", tags=["Quokka"])
    by_description, _ = await make_show(services, owner, "Beta", description="A quokka mix.")
    by_track, _ = await make_show(
        services, owner, "Gamma", sections=[Section(artist="Quokka Band", song="Tune")]
    )
    expected = [by_name, by_tag, by_description, by_track]
    assert await shows(services, "quokka") == expected
    assert await shows(services, "QUOK") == expected  # the last word is a prefix
    assert await shows(services, "Gamma tune") == [by_track]  # every word must match


async def test_more_words_in_the_name_rank_higher(services: Services) -> None:
    owner = await make_user(services, "owner")
    one, _ = await make_show(services, owner, "Deep Night", description="a session")
    both, _ = await make_show(services, owner, "Deep Session")
    assert await shows(services, "deep session") == [both, one]


async def test_the_last_word_is_a_prefix(services: Services) -> None:
    owner = await make_user(services, "owner")
    party, _ = await make_show(services, owner, "Party Time")
    assert await shows(services, "part") == [party]
    assert await shows(services, "party ti") == [party]
    assert await shows(services, "time part") == [party]
    assert await shows(services, "part time") == []  # earlier words match whole words only
    assert await shows(services, "p") == []  # a one-letter last word is matched whole


async def test_prefixes_longer_than_the_indexed_ones(services: Services) -> None:
    owner = await make_user(services, "owner")
    # Both share their first 8 characters, the longest prefix either index holds.
    underground, _ = await make_show(services, owner, "Underground Live")
    undergrowth, _ = await make_show(services, owner, "Undergrowth Night")
    assert set(await shows(services, "undergro")) == {underground, undergrowth}
    if services.db.dialect == "sqlite":  # cut to 8 characters: a slightly wider match
        assert underground in await shows(services, "undergrou")
    else:  # the index finds both, the check of the document keeps the match exact
        assert await shows(services, "undergrou") == [underground]
        assert await shows(services, "live undergrou") == [underground]
        assert await shows(services, "night undergrou") == []


async def test_case_and_diacritics_do_not_matter(services: Services) -> None:
    owner = await make_user(services, "owner")
    sunday, _ = await make_show(services, owner, "Bon dimanche à tous")
    sao, _ = await make_show(services, owner, "Live", description="Recorded in São Paulo.")
    zurich, _ = await make_show(services, owner, "ZÜRICH nights")
    assert await shows(services, "dimanche a tous") == [sunday]
    assert await shows(services, "DIMANCHE À") == [sunday]
    assert await shows(services, "sao paulo") == [sao]
    assert await shows(services, "são paulo") == [sao]
    assert await shows(services, "zurich") == [zurich]
    assert await shows(services, "zür") == [zurich]


async def test_hyphens_and_punctuation_split_words_alike(services: Services) -> None:
    owner = await make_user(services, "owner")
    lofi, _ = await make_show(services, owner, "Lo-Fi Beats: vol.2 (dj.nova@home)")
    for text in ("lo-fi", "lo fi", "LO_FI", "beats vol 2", "nova home", "dj nova", "vol.2"):
        assert await shows(services, text) == [lofi], text


async def test_shows_that_are_not_listed_are_never_found(services: Services) -> None:
    owner = await make_user(services, "owner")
    listed, _ = await make_show(services, owner, "Wombat Public")
    for visibility in ("unlisted", "draft", "scheduled"):
        await make_show(services, owner, f"Wombat {visibility}", visibility=visibility)
    for status in ("received", "processing", "failed"):
        await make_show(services, owner, f"Wombat {status}", status=status)
    assert await shows(services, "wombat") == [listed]
    for word in ("unlisted", "draft", "scheduled", "received", "processing", "failed"):
        assert await shows(services, f"wombat {word}") == []


async def test_a_show_that_stops_being_listed_disappears(services: Services) -> None:
    owner = await make_user(services, "owner")
    show_id, _ = await make_show(services, owner, "Numbat Radio")
    assert await shows(services, "numbat") == [show_id]
    await set_show(services, show_id, visibility="unlisted")
    assert await shows(services, "numbat") == []
    await set_show(services, show_id, visibility="public", name="Numbat Renamed")
    assert await shows(services, "renamed") == [show_id]
    await set_show(services, show_id, status="failed")
    assert await shows(services, "numbat") == []
    await set_show(services, show_id, status="ready")
    async with services.db.transaction() as tx:
        await unindex_show(tx, show_id)
    assert await shows(services, "numbat") == []


async def test_a_rolled_back_show_is_not_indexed(services: Services) -> None:
    owner = await make_user(services, "owner")
    with pytest.raises(RuntimeError):
        async with services.db.transaction() as tx:
            from mixcast.shows.shows import NewShow, create_show

            await create_show(tx, NewShow(owner_id=owner, name="Ghost Show"), 1)
            raise RuntimeError("rolled back")
    assert await shows(services, "ghost") == []


JUNK = [
    '"',
    "'",
    '""',
    "''",
    "\\",
    "*",
    "**",
    ":",
    "::",
    "&",
    "&&",
    "|",
    "!",
    "!!",
    "(",
    ")",
    "()",
    "^",
    "-",
    "+",
    "~",
    "<->",
    "<2>",
    "{",
    "}",
    "[]",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(",
    "a AND",
    "AND b",
    "OR OR",
    "a OR b",
    "NOT x",
    "name:x",
    "{name}: x",
    "tags : x",
    "x:*",
    "x:A",
    "x:*AB",
    "'x' & !'y'",
    '"unterminated',
    "a*b",
    "a * b",
    "-a",
    "a -b",
    "a\x00b",
    "\x00",
    "%",
    "_",
    "a_b",
    "\u200b",
    "🎧 mix",
    "«deep»",
    "x" * 5000,
    "word " * 100,
    "ǅ",
    "ﬁ",
    "½",
    "²",
    "İstanbul",
    "ß",
    "Ⅻ",
    "〇",
    "ٱ",
    "a\u0301",
]


async def test_junk_in_the_query_never_raises(services: Services) -> None:
    owner = await make_user(services, "a_b")
    await make_show(services, owner, "AND OR NOT NEAR", tags=["Drum & Bass"])
    rng = random.Random(7)
    pool = "aZ09 _-*:&|!()\"'^~<>{}[]\\%+,.;=?@#$/`éß\u0301🎧\x00ǅ½İ"
    texts = JUNK + [
        "".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(150)
    ]
    for text in texts:
        for search in (shows, users, tags):
            found = await search(services, text)
            assert isinstance(found, list), text
            if not searchable(text):
                assert found == [], text
    assert await shows(services, "and or not near") != []
    assert await shows(services, "AND") != []


async def test_paging_is_stable(services: Services) -> None:
    owner = await make_user(services, "owner")
    for n in range(11):
        # Names of a few lengths: some ties in score, broken by id.
        await make_show(services, owner, f"Platypus {'x ' * (n % 3)}{n}")
    everything = await shows(services, "platypus", limit=100)
    assert len(everything) == 11 and len(set(everything)) == 11
    pages = [await shows(services, "platypus", limit=4, offset=o) for o in (0, 4, 8, 12)]
    assert pages[0] + pages[1] + pages[2] == everything
    assert pages[3] == []
    assert await shows(services, "platypus", limit=0) == []
    assert await shows(services, "platypus", limit=5, offset=CANDIDATES) == []


# ------------------------------------------------------------------------------ users and tags


async def test_users_by_username_and_display_name(services: Services) -> None:
    spartacus = await make_user(services, "spartacus", display_name="Spartacus")
    fan = await make_user(services, "gladiator_fan", display_name="Spartacus Fan Club")
    named = await make_user(services, "someone", display_name="Kirk Douglas")
    assert await users(services, "spartacus") == [spartacus, fan]  # the exact username first
    assert await users(services, "spart") == [spartacus, fan]
    assert await users(services, "douglas") == [named]
    assert await users(services, "glad") == [fan]
    assert await users(services, "gladiatorfan") == [fan]  # username without separators
    assert await users(services, "fan club") == [fan]
    # Display names rank over usernames.
    by_username = await make_user(services, "zeppelin", display_name="Led")
    by_display = await make_user(services, "led_fan", display_name="Zeppelin Forever")
    assert await users(services, "forever") == [by_display]
    assert await users(services, "zeppel") == [by_display, by_username]


async def test_deleting_a_user_removes_their_search_rows(services: Services) -> None:
    user = await make_user(services, "marmot")
    show_id, _ = await make_show(services, user, "Marmot Mix")
    assert await users(services, "marmot") == [user]
    assert await shows(services, "marmot") == [show_id]
    async with services.db.transaction() as tx:
        await tx.execute(Query("DELETE FROM users WHERE id = :id"), {"id": user})
    assert await users(services, "marmot") == []
    assert await shows(services, "marmot") == []
    # Nothing else was indexed: both tables are empty again (also the truncation between
    # tests on PostgreSQL empties them, through their foreign keys).
    left = "SELECT (SELECT count(*) FROM search_users) + (SELECT count(*) FROM search_shows)"
    assert await services.db.fetch_value(Query(left)) == 0


async def test_tags_are_genres_only(services: Services) -> None:
    owner = await make_user(services, "owner", city="Berlin")
    await make_show(services, owner, "Set", tags=["Techno", "Tech House", "Deep House"])
    async with services.db.transaction() as tx:
        techno = await ensure_tag(tx, GENRE, "Techno")
        tech_house = await ensure_tag(tx, GENRE, "Tech House")
        deep_house = await ensure_tag(tx, GENRE, "Deep House")
        await ensure_tag(tx, CITY, "Housebridge")
    assert await tags(services, "techno") == [techno]
    assert await tags(services, "tech") == [tech_house, techno] or await tags(services, "tech") == [
        techno,
        tech_house,
    ]
    assert set(await tags(services, "house")) == {tech_house, deep_house}
    assert await tags(services, "tech house") == [tech_house]  # the exact name first
    assert await tags(services, "berlin") == []  # cities are not genre tags
    assert await tags(services, "housebr") == []
