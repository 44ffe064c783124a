"""Slugs for shows and tags: Unicode kept (keys percent-encode it), lower-cased, NFC, words
joined by single hyphens, and stable: slugifying a slug gives it back."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mixcast.slugs import MAX_SLUG, normalize_slug, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Bon dimanche à tous", "bon-dimanche-à-tous"),
        ("Bon dimanche à tous!", "bon-dimanche-à-tous"),
        ("Party Time", "party-time"),
        ("  Knee Deep - 26th August 2014  ", "knee-deep-26th-august-2014"),
        ("Drum & Bass", "drum-bass"),
        ("snake_case_name", "snake-case-name"),
        ("DJ _Set", "dj-set"),
        ("a - _ b", "a-b"),
        ("Straße", "strasse"),
        ("Ελληνικά", "ελληνικά"),
        ("Москва", "москва"),
        ("東京", "東京"),
        ("ﬁsh", "fish"),  # compatibility ligature
        ("---", ""),
        ("", ""),
    ],
)
def test_examples(text, slug):
    assert slugify(text) == slug


def test_decomposed_and_composed_input_give_the_same_slug():
    composed = "Bon dimanche \u00e0 tous"
    decomposed = "Bon dimanche a\u0300 tous"
    assert slugify(decomposed) == slugify(composed) == "bon-dimanche-\u00e0-tous"


@pytest.mark.parametrize("word", ["İstanbul", "İzmir", "ǰob"])
def test_a_single_word_stays_one_word(word):
    """Lower-casing some letters yields a letter plus a combining mark (İ -> i + U+0307). The
    mark belongs to the word: it must not split it with a hyphen."""
    slug = slugify(word)
    assert "-" not in slug, slug
    assert unicodedata.is_normalized("NFC", slug)


def test_long_names_are_cut_without_a_trailing_hyphen():
    slug = slugify("word " * 100)
    assert len(slug) <= MAX_SLUG
    assert not slug.endswith("-")


@given(st.text())
@example("İstanbul")
@example("ǰ")
@example("a\u0301" * 150)
@example("0:_0")
@example("DJ _Set")
def test_slugs_are_nfc_lower_case_and_well_formed(text):
    slug = slugify(text)
    assert unicodedata.is_normalized("NFC", slug), repr(slug)
    assert len(slug) <= MAX_SLUG
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "--" not in slug
    assert "_" not in slug
    assert not any(ch.isspace() for ch in slug)
    assert "/" not in slug and "?" not in slug and "#" not in slug


@given(st.text())
@example("İstanbul")
@example("ǰ")
@example("ᾼ")
@example("0:_0")
def test_slugify_is_idempotent(text):
    once = slugify(text)
    assert slugify(once) == once


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=30))
@example("İ")
def test_a_word_of_letters_never_gets_a_hyphen(word):
    assert "-" not in slugify(word), (word, slugify(word))


@given(st.text())
def test_normalize_slug_is_nfc_and_matches_what_slugify_stores(text):
    """A path segment in any normal form finds the slug slugify stored."""
    slug = slugify(text)
    assert normalize_slug(unicodedata.normalize("NFD", slug)) == slug
    assert unicodedata.is_normalized("NFC", normalize_slug(text))
