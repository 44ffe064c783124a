"""``Query``: one SQL text with ``:name`` parameters, compiled for SQLite (``:name``) and
PostgreSQL (``$n``), and lists expanded for ``IN``. The last tests run the same queries on the
test database (SQLite, or PostgreSQL with MIXCAST_TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest

from mixcast.db.database import Query, _expand, _pg_args

pytestmark = pytest.mark.anyio


def test_names_become_numbered_placeholders_for_postgresql():
    q = Query("SELECT * FROM users WHERE id = :id AND city = :city")
    assert q.pg == "SELECT * FROM users WHERE id = $1 AND city = $2"
    assert q.names == ("id", "city")
    assert q.sqlite == "SELECT * FROM users WHERE id = :id AND city = :city"


def test_a_repeated_name_reuses_its_number():
    q = Query("INSERT INTO t (a, b, c) VALUES (:now, :x, :now)")
    assert q.pg == "INSERT INTO t (a, b, c) VALUES ($1, $2, $1)"
    assert q.names == ("now", "x")


def test_casts_are_left_alone():
    q = Query("SELECT :n::int, x::text, CAST(:s AS text), y::timestamp FROM t WHERE z = :z")
    assert q.pg == "SELECT $1::int, x::text, CAST($2 AS text), y::timestamp FROM t WHERE z = $3"
    assert q.names == ("n", "s", "z")


def test_times_and_words_with_colons_are_not_parameters():
    q = Query("SELECT '12:30:00', 'a:b' FROM t WHERE k = :k")
    assert q.pg == "SELECT '12:30:00', 'a:b' FROM t WHERE k = $1"
    assert q.names == ("k",)


def test_whitespace_is_collapsed():
    q = Query("""
        SELECT a,
               b
        FROM t   WHERE  a = :a
    """)
    assert q.text == "SELECT a, b FROM t WHERE a = :a"


def test_a_list_expands_for_in():
    q, params = _expand(
        Query("SELECT * FROM t WHERE id IN :ids AND k = :k"), {"ids": [3, 1, 2], "k": "x"}
    )
    assert q.sqlite == "SELECT * FROM t WHERE id IN (:ids_0, :ids_1, :ids_2) AND k = :k"
    assert q.pg == "SELECT * FROM t WHERE id IN ($1, $2, $3) AND k = $4"
    assert params == {"ids_0": 3, "ids_1": 1, "ids_2": 2, "k": "x"}


def test_a_tuple_expands_like_a_list():
    q, params = _expand(Query("SELECT 1 WHERE x IN :xs"), {"xs": ("a",)})
    assert q.sqlite == "SELECT 1 WHERE x IN (:xs_0)"
    assert params == {"xs_0": "a"}


def test_an_empty_list_matches_nothing_instead_of_failing():
    q, params = _expand(Query("SELECT 1 WHERE x IN :xs"), {"xs": []})
    assert q.sqlite == "SELECT 1 WHERE x IN (NULL)"
    assert params == {}


def test_expanding_one_name_leaves_names_that_share_its_prefix():
    q, params = _expand(
        Query("SELECT 1 WHERE a IN :id AND b = :id_x AND c = :ids"),
        {"id": [1, 2], "id_x": 5, "ids": 6},
    )
    assert q.sqlite == "SELECT 1 WHERE a IN (:id_0, :id_1) AND b = :id_x AND c = :ids"
    assert params == {"id_0": 1, "id_1": 2, "id_x": 5, "ids": 6}


def test_postgresql_arguments_follow_the_placeholder_order():
    sql, args = _pg_args(Query("SELECT :b, :a, :b WHERE x IN :xs"), {"a": 1, "b": 2, "xs": [7, 8]})
    assert sql == "SELECT $1, $2, $1 WHERE x IN ($3, $4)"
    assert list(args) == [2, 1, 7, 8]


# ------------------------------------------------------------------ on the real database


async def test_in_lists_run_on_the_database(services):
    db = services.db
    async with db.transaction() as tx:
        await tx.execute(
            Query(
                "INSERT INTO tags (kind, slug, name)"
                " VALUES ('genre', 'a', 'A'), ('genre', 'b', 'B'), ('city', 'c', 'C')"
            )
        )
    rows = await db.fetch_all(
        Query("SELECT slug FROM tags WHERE slug IN :slugs AND kind = :kind ORDER BY slug"),
        {"slugs": ["a", "b", "c", "z"], "kind": "genre"},
    )
    assert [r["slug"] for r in rows] == ["a", "b"]
    none = await db.fetch_all(Query("SELECT slug FROM tags WHERE slug IN :slugs"), {"slugs": []})
    assert none == []
    count = await db.fetch_value(
        Query("SELECT COUNT(*) FROM tags WHERE kind = :k OR slug = :s OR name = :k"),
        {"k": "genre", "s": "c"},
    )
    assert count == 3


async def test_a_repeated_name_runs_on_the_database(services):
    query = Query("SELECT CAST(:n AS INTEGER) + CAST(:n AS INTEGER) + CAST(:m AS INTEGER)")
    assert await services.db.fetch_value(query, {"n": 20, "m": 2}) == 42
