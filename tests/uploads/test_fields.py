"""The upload and edit fields (api-docs.md "Uploads", "Editing uploads"; wire-format.md §8):
what each request asks for, and the messages a client sees in ``details`` when it cannot."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixcast.shows.shows import Section
from mixcast.uploads.errors import WHOLE_FORM, UploadInvalid
from mixcast.uploads.fields import (
    MAX_DESCRIPTION,
    MAX_HOSTS,
    MAX_SECTIONS,
    MAX_TAGS,
    SentSections,
    UploadFields,
    check_start_times,
    parse_upload_fields,
)

NOW = int(datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()) * 1_000_000
ONE_SECOND_LATER = "2024-06-01T12:00:01Z"

REQUIRED = "This field is required."
BLANK = "This field cannot be blank."
NOT_BOOLEAN = "Enter true or false."
NOT_SECONDS = "Enter a whole number of seconds."
PRO_ONLY = "Only Pro accounts can use this field."
PAST = "The publish date must be in the future."
CONTROL = "This field cannot contain control characters such as line breaks or tabs."


def wire(*pairs: tuple[str, str]) -> dict[str, list[str]]:
    """Fields as a multipart parser hands them over: every value of a name, in order sent."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def parse(
    fields: Mapping[str, str] | dict[str, list[str]],
    *,
    editing: bool = False,
    is_pro: bool = False,
    name: str | None = "My Mix",
    **kwargs: Any,
) -> UploadFields:
    """Parse ``fields`` (a plain name -> value dict is one value each); uploads get a name
    unless the test is about it."""
    multi = {k: v if isinstance(v, list) else [v] for k, v in fields.items()}
    if name is not None and not editing:
        multi.setdefault("name", [name])
    return parse_upload_fields(multi, editing=editing, is_pro=is_pro, now=NOW, **kwargs)


def details(fields: Mapping[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(UploadInvalid) as caught:
        parse(fields, **kwargs)
    assert caught.value.http_status == 400
    assert caught.value.body()["details"] == caught.value.details
    assert caught.value.details is not None
    return caught.value.details


# The curl example of api-docs.md "Uploads", field for field.


def test_the_documented_curl_upload():
    fields = wire(
        ("name", "API Upload"),
        ("tags-0-tag", "Test"),
        ("tags-1-tag", "API"),
        ("sections-0-chapter", "Introduction"),
        ("sections-0-start_time", "0"),
        ("sections-1-artist", "Artist Name"),
        ("sections-1-song", "Song Title"),
        ("sections-1-start_time", "10"),
        ("description", "My test upload"),
    )
    parsed = parse_upload_fields(
        fields, editing=False, is_pro=False, now=NOW, sent_files=("mp3", "picture")
    )
    assert parsed == UploadFields(
        name="API Upload",
        description="My test upload",
        tags=("Test", "API"),
        sections=(
            Section(chapter="Introduction", start_time=0),
            Section(artist="Artist Name", song="Song Title", start_time=10),
        ),
    )
    assert [s.section_type for s in parsed.sections or ()] == ["chapter", "track"]


def test_the_documented_curl_edit():
    fields = wire(
        ("name", "A new name"),
        ("tags-0-tag", "Test"),
        ("tags-1-tag", "API"),
        ("description", "My test upload"),
    )
    parsed = parse_upload_fields(
        fields, editing=True, is_pro=False, now=NOW, sent_files=["picture"]
    )
    assert parsed == UploadFields(
        name="A new name", description="My test upload", tags=("Test", "API")
    )


def test_an_edit_that_sends_nothing_changes_nothing():
    assert parse({}, editing=True) == UploadFields()


# name


@pytest.mark.parametrize(
    ("fields", "editing", "expected"),
    [
        ({"name": "  Knee Deep  "}, False, "Knee Deep"),
        ({"name": "Ελληνικά 東京"}, False, "Ελληνικά 東京"),
        ({"name": "x" * 255}, False, "x" * 255),
        ({"name": "\tpadded\r\n"}, False, "padded"),
        ({}, True, None),
        ({"name": " new "}, True, "new"),
    ],
)
def test_name_accepted(fields, editing, expected):
    assert parse(fields, editing=editing, name=None).name == expected


@pytest.mark.parametrize(
    ("fields", "editing", "messages"),
    [
        ({}, False, [REQUIRED]),
        ({"name": ""}, False, [REQUIRED]),
        ({"name": "   "}, False, [REQUIRED]),
        ({"name": ""}, True, [BLANK]),
        ({"name": " \t "}, True, [BLANK]),
        (
            {"name": "x" * 256},
            False,
            ["Ensure this value has at most 255 characters (it has 256)."],
        ),
        ({"name": "two\nlines"}, False, [CONTROL]),
        ({"name": "nul\x00"}, True, [CONTROL]),
        ({"name": "bell\x07"}, False, [CONTROL]),
        ({"name": "del\x7f"}, False, [CONTROL]),
    ],
)
def test_name_refused(fields, editing, messages):
    assert details(fields, editing=editing, name=None) == {"name": messages}


# description


def test_description_is_counted_with_line_feeds():
    crlf = "line\r\n" * 200  # 1200 characters sent, 1000 once CRLF is LF (then stripped: 999)
    assert parse({"description": crlf}).description == ("line\n" * 200).strip()
    assert parse({"description": "a\rb"}).description == "a\nb"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * MAX_DESCRIPTION, "x" * MAX_DESCRIPTION),
        ("  spaced  ", "spaced"),
        ("tabs\tand\nbreaks", "tabs\tand\nbreaks"),
        ("", ""),  # on edit: clears it
    ],
)
def test_description_accepted(value, expected):
    assert parse({"description": value}).description == expected
    assert parse({"description": value}, editing=True).description == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 1001, "Ensure this value has at most 1000 characters (it has 1001)."),
        ("é\r\n" * 500 + "é", "Ensure this value has at most 1000 characters (it has 1001)."),
        (
            "nul\x00",
            "This field cannot contain control characters other than line breaks and tabs.",
        ),
    ],
)
def test_description_refused(value, message):
    assert details({"description": value}) == {"description": [message]}


def test_description_not_sent_is_none():
    assert parse({}).description is None


# tags


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"tags-0-tag": "Funk"}, ("Funk",)),
        ({"tags-0-tag": ""}, ()),
        ({"tags-0-tag": " ", "tags-3-tag": ""}, ()),
        ({"tags-4-tag": "last", "tags-0-tag": "first"}, ("first", "last")),
        ({"tags-0-tag": "Funk", "tags-1-tag": "funk", "tags-2-tag": "FUNK "}, ("Funk",)),
        ({"tags-0-tag": "Straße", "tags-1-tag": "STRASSE"}, ("Straße",)),
        ({"tags-0-tag": "  Deep    House "}, ("Deep House",)),
        ({"tags-0-tag": "", "tags-1-tag": "Jazz"}, ("Jazz",)),
        ({"tags-0-tag": "x" * 128}, ("x" * 128,)),
        ({"tags-0-tag": "a" + " " * 200 + "b"}, ("a b",)),  # counted as stored
        ({"tags-0-tag": "東京"}, ("東京",)),
        ({"tags-0-name": "ignored"}, None),  # not a tag field
    ],
)
def test_tags_accepted(fields, expected):
    assert parse(fields).tags == expected
    assert parse(fields, editing=True).tags == expected


TOO_MANY_TAGS = "Up to 5 tags: tags-0-tag to tags-4-tag."


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tags-5-tag": "Six"}, {"tags-5-tag": [TOO_MANY_TAGS]}),
        ({"tags-5-tag": ""}, {"tags-5-tag": [TOO_MANY_TAGS]}),
        ({"tags-04-tag": "Zero four"}, {"tags-04-tag": [TOO_MANY_TAGS]}),
        ({"tags--1-tag": "Minus"}, {"tags--1-tag": [TOO_MANY_TAGS]}),
        ({"tags-x-tag": "Ex"}, {"tags-x-tag": [TOO_MANY_TAGS]}),
        ({"tags-٣-tag": "Arabic three"}, {"tags-٣-tag": [TOO_MANY_TAGS]}),
        (
            {"tags-0-tag": "x" * 129},
            {"tags-0-tag": ["Ensure this value has at most 128 characters (it has 129)."]},
        ),
        ({"tags-1-tag": "!!!"}, {"tags-1-tag": ["A tag needs at least one letter or digit."]}),
        ({"tags-2-tag": "a\x00b"}, {"tags-2-tag": [CONTROL]}),
    ],
)
def test_tags_refused(fields, expected):
    assert details(fields) == expected


def test_up_to_max_tags():
    fields = {f"tags-{i}-tag": f"Tag {i}" for i in range(MAX_TAGS)}
    assert parse(fields).tags == tuple(f"Tag {i}" for i in range(MAX_TAGS))


# sections

TRACK = Section(artist="Artist", song="Song")
CHAPTER = Section(chapter="Intro")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"sections-0-artist": "Artist", "sections-0-song": "Song"}, (TRACK,)),
        ({"sections-0-chapter": "Intro"}, (CHAPTER,)),
        ({"sections-0-chapter": " Intro ", "sections-0-artist": " "}, (CHAPTER,)),
        (
            {"sections-0-chapter": "Intro", "sections-0-start_time": "90"},
            (Section(chapter="Intro", start_time=90),),
        ),
        (
            {"sections-0-chapter": "Intro", "sections-0-start_time": " 090 "},
            (Section(chapter="Intro", start_time=90),),
        ),
        ({"sections-0-chapter": "Intro", "sections-0-start_time": ""}, (CHAPTER,)),
        (  # old clients (mrpc) send sections-X-time
            {"sections-0-chapter": "Intro", "sections-0-time": "5"},
            (Section(chapter="Intro", start_time=5),),
        ),
        (  # start_time present, even empty, wins over the legacy name
            {"sections-0-chapter": "Intro", "sections-0-start_time": "", "sections-0-time": "5"},
            (CHAPTER,),
        ),
        (  # gaps are renumbered in X order, whatever order the fields came in
            {
                "sections-7-chapter": "Third",
                "sections-0-chapter": "First",
                "sections-3-chapter": "Second",
            },
            (Section(chapter="First"), Section(chapter="Second"), Section(chapter="Third")),
        ),
        (  # a blank row is skipped, but still means "replace the tracklist"
            {"sections-0-artist": "", "sections-0-song": " ", "sections-0-start_time": ""},
            (),
        ),
        ({"sections-0-label": "Warp", "sections-0-chapter": "Intro"}, (CHAPTER,)),
        ({"sections-0-label": "Warp"}, None),  # unknown sub-fields are ignored
        ({"sections-0-start-time": "5"}, None),  # not a section field: ignored
        (  # equal start times do not go back
            {
                "sections-0-chapter": "A",
                "sections-0-start_time": "10",
                "sections-1-chapter": "B",
                "sections-1-start_time": "10",
                "sections-2-chapter": "C",
                "sections-3-chapter": "D",
                "sections-3-start_time": "11",
            },
            (
                Section(chapter="A", start_time=10),
                Section(chapter="B", start_time=10),
                Section(chapter="C"),
                Section(chapter="D", start_time=11),
            ),
        ),
        ({"sections-499-chapter": "Last"}, (Section(chapter="Last"),)),
        (
            {"sections-0-chapter": "Late", "sections-0-start_time": "2147483647"},
            (Section(chapter="Late", start_time=2147483647),),
        ),
        (
            {"sections-0-artist": "a" * 255, "sections-0-song": "s" * 255},
            (Section(artist="a" * 255, song="s" * 255),),
        ),
    ],
)
def test_sections_accepted(fields, expected):
    assert parse(fields).sections == expected
    assert parse(fields, editing=True).sections == expected


TOO_MANY_SECTIONS = "Up to 500 sections: sections-0-… to sections-499-…."
GOES_BACK_60 = "Start times cannot go back: this one is before the previous section's (60 seconds)."
TOO_LONG_255 = "Ensure this value has at most 255 characters (it has 256)."


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"sections-0-artist": "Artist"}, {"sections-0-song": [REQUIRED]}),
        ({"sections-0-song": "Song", "sections-0-artist": " "}, {"sections-0-artist": [REQUIRED]}),
        (
            {"sections-2-chapter": "Intro", "sections-2-artist": "Artist"},
            {
                "sections-2-chapter": [
                    "A section is a track (artist and song) or a chapter, not both."
                ]
            },
        ),
        (
            {"sections-0-start_time": "30"},
            {
                "sections-0-start_time": [
                    "A start time needs a track (artist and song) or a chapter to start."
                ]
            },
        ),
        *(
            (
                {"sections-0-chapter": "Intro", "sections-0-start_time": bad},
                {"sections-0-start_time": [NOT_SECONDS]},
            )
            for bad in ("1.5", "-1", "abc", "+5", "1e3", "٣", "90s", "0x10")
        ),
        (  # errors name the field the client sent
            {"sections-0-chapter": "Intro", "sections-0-time": "1.5"},
            {"sections-0-time": [NOT_SECONDS]},
        ),
        (
            {"sections-0-chapter": "Intro", "sections-0-start_time": "2147483648"},
            {"sections-0-start_time": ["Ensure this value is less than or equal to 2147483647."]},
        ),
        (
            {"sections-0-chapter": "Intro", "sections-0-start_time": "9" * 5000},
            {"sections-0-start_time": ["Ensure this value is less than or equal to 2147483647."]},
        ),
        (
            {
                "sections-0-chapter": "A",
                "sections-0-start_time": "60",
                "sections-1-chapter": "B",  # no start time: not compared
                "sections-4-chapter": "C",
                "sections-4-start_time": "59",
            },
            {"sections-4-start_time": [GOES_BACK_60]},
        ),
        (
            {
                "sections-0-chapter": "A",
                "sections-0-time": "60",
                "sections-1-chapter": "B",
                "sections-1-time": "0",
            },
            {"sections-1-time": [GOES_BACK_60]},
        ),
        ({"sections-500-chapter": "Too far"}, {"sections-500-chapter": [TOO_MANY_SECTIONS]}),
        ({"sections-01-chapter": "Zero one"}, {"sections-01-chapter": [TOO_MANY_SECTIONS]}),
        ({"sections--1-song": "Minus"}, {"sections--1-song": [TOO_MANY_SECTIONS]}),
        ({"sections-a-artist": "A"}, {"sections-a-artist": [TOO_MANY_SECTIONS]}),
        (
            {"sections-0-artist": "a" * 256, "sections-0-song": "Song"},
            {"sections-0-artist": [TOO_LONG_255]},
        ),
        ({"sections-0-chapter": "c" * 256}, {"sections-0-chapter": [TOO_LONG_255]}),
        ({"sections-0-chapter": "two\nlines"}, {"sections-0-chapter": [CONTROL]}),
    ],
)
def test_sections_refused(fields, expected):
    assert details(fields) == expected


def test_up_to_max_sections():
    fields = {f"sections-{i}-chapter": f"Part {i}" for i in range(MAX_SECTIONS)}
    fields.update({f"sections-{i}-start_time": str(i * 60) for i in range(MAX_SECTIONS)})
    sections = parse(fields).sections
    assert sections is not None and len(sections) == MAX_SECTIONS
    assert sections[-1] == Section(chapter=f"Part {MAX_SECTIONS - 1}", start_time=29940)


# booleans

TRUE_WORDS = ["true", "True", "TRUE", " yes ", "1", "on", "On", "YES"]
FALSE_WORDS = ["false", "False", "0", "off", "no", "NO", "", "  "]


@pytest.mark.parametrize("word", TRUE_WORDS)
def test_true_words(word):
    assert parse({"unlisted": word}).unlisted is True
    assert parse({"hide_stats": word, "disable_comments": word}, is_pro=True) == UploadFields(
        name="My Mix", hide_stats=True, disable_comments=True
    )
    assert parse({"publish": word}, editing=True).publish is True
    assert parse({"unpublish": word}, editing=True).unpublish is True


@pytest.mark.parametrize("word", FALSE_WORDS)
def test_false_words(word):
    assert parse({"unlisted": word}).unlisted is False
    assert parse({"hide_stats": word}, is_pro=True).hide_stats is False
    assert parse({"publish": word, "unpublish": word}, editing=True) == UploadFields(
        publish=False, unpublish=False
    )


@pytest.mark.parametrize("word", ["maybe", "2", "t", "y", "truee", "null", "none", "\x00"])
@pytest.mark.parametrize("field", ["unlisted", "disable_comments", "hide_stats", "publish"])
def test_not_a_boolean(word, field):
    assert details({field: word}, is_pro=True, editing=True) == {field: [NOT_BOOLEAN]}


def test_booleans_not_sent_are_none():
    parsed = parse({}, is_pro=True, editing=True)
    assert (parsed.unlisted, parsed.publish, parsed.unpublish) == (None, None, None)
    assert (parsed.disable_comments, parsed.hide_stats) == (None, None)


# publish_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ONE_SECOND_LATER, NOW + 1_000_000),
        (
            "2030-02-28T23:59:59Z",
            int(datetime(2030, 2, 28, 23, 59, 59, tzinfo=UTC).timestamp()) * 10**6,
        ),
        ("2028-02-29T00:00:00Z", int(datetime(2028, 2, 29, tzinfo=UTC).timestamp()) * 10**6),
        (" 2024-06-01T12:00:01Z ", NOW + 1_000_000),
        ("", None),
    ],
)
def test_publish_date_accepted(value, expected):
    assert parse({"publish_date": value}, is_pro=True).publish_at == expected
    assert parse({"publish_date": value}, is_pro=True, editing=True).publish_at == expected


BAD_DATE = "Enter a date and time in UTC as YYYY-MM-DDTHH:MM:SSZ (e.g. 2015-11-21T14:05:00Z)."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-06-01T12:00:00Z", PAST),  # now is not the future
        ("2015-11-21T14:05:00Z", PAST),
        ("2030-02-30T00:00:00Z", BAD_DATE),
        ("2030-13-01T00:00:00Z", BAD_DATE),
        ("2030-01-01T24:00:00Z", BAD_DATE),
        ("0000-01-01T00:00:00Z", BAD_DATE),
        ("2030-01-01T00:00:00", BAD_DATE),
        ("2030-01-01 00:00:00Z", BAD_DATE),
        ("2030-01-01T00:00:00+00:00", BAD_DATE),
        ("2030-01-01T00:00:00.000Z", BAD_DATE),
        ("2030-1-1T00:00:00Z", BAD_DATE),
        ("2030-01-01t00:00:00z", BAD_DATE),
        ("tomorrow", BAD_DATE),
    ],
)
def test_publish_date_refused(value, message):
    assert details({"publish_date": value}, is_pro=True) == {"publish_date": [message]}


def test_unlisted_ignores_the_publish_date_but_still_checks_it():
    assert parse({"unlisted": "true", "publish_date": "2030-01-01T00:00:00Z"}, is_pro=True) == (
        UploadFields(name="My Mix", unlisted=True)
    )
    # Ignored, so a past date does not matter; an unreadable one is still an error.
    assert (
        parse({"unlisted": "1", "publish_date": "2015-11-21T14:05:00Z"}, is_pro=True).publish_at
        is None
    )
    assert details({"unlisted": "1", "publish_date": "soon"}, is_pro=True) == {
        "publish_date": [BAD_DATE]
    }
    assert parse({"unlisted": "false", "publish_date": ONE_SECOND_LATER}, is_pro=True).publish_at


# Pro-only fields


@pytest.mark.parametrize(
    "fields",
    [
        {"publish_date": ONE_SECOND_LATER},
        {"publish_date": "2015-11-21T14:05:00Z"},  # past or not: the account cannot ask
        {"disable_comments": "true"},
        {"hide_stats": "1"},
        {"hosts-0-username": "friend"},
        {"hosts-1-username": " friend "},
    ],
)
def test_pro_fields_refused_to_other_accounts(fields):
    (field,) = fields
    assert details(fields, is_pro=False) == {field: [PRO_ONLY]}
    assert details(fields, is_pro=False, editing=True) == {field: [PRO_ONLY]}


@pytest.mark.parametrize(
    "fields",
    [
        {"publish_date": ""},
        {"disable_comments": "false", "hide_stats": "False"},
        {"hide_stats": ""},
        {"hosts-0-username": ""},
        {"hosts-0-username": " ", "hosts-1-username": ""},
    ],
)
def test_pro_fields_that_ask_for_nothing_mean_nothing_to_other_accounts(fields):
    assert parse(fields, is_pro=False) == UploadFields(name="My Mix")
    assert parse(fields, is_pro=False, editing=True) == UploadFields()


def test_pro_fields_for_pro_accounts():
    fields = {
        "publish_date": "2030-01-01T00:00:00Z",
        "disable_comments": "true",
        "hide_stats": "false",
        "hosts-0-username": "friend",
        "hosts-1-username": "other",
    }
    assert parse(fields, is_pro=True) == UploadFields(
        name="My Mix",
        publish_at=int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()) * 10**6,
        disable_comments=True,
        hide_stats=False,
        hosts=("friend", "other"),
    )


# hosts (Pro)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        ({"hosts-0-username": "friend"}, ("friend",)),
        ({"hosts-1-username": " b ", "hosts-0-username": "a"}, ("a", "b")),
        ({"hosts-0-username": "Friend", "hosts-1-username": "friend"}, ("Friend",)),
        ({"hosts-0-username": ""}, ()),  # api-docs: "to remove all hosts"
        ({"hosts-0-username": "", "hosts-1-username": " "}, ()),
        ({"hosts-0-username": "", "hosts-1-username": "b"}, ("b",)),
    ],
)
def test_hosts_accepted(fields, expected):
    assert parse(fields, is_pro=True, editing=True).hosts == expected


TOO_MANY_HOSTS = "Up to 2 hosts: hosts-0-username to hosts-1-username."


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({f"hosts-{MAX_HOSTS}-username": "third"}, {"hosts-2-username": [TOO_MANY_HOSTS]}),
        ({"hosts-00-username": "zero"}, {"hosts-00-username": [TOO_MANY_HOSTS]}),
        ({"hosts-0-username": "nul\x00"}, {"hosts-0-username": [CONTROL]}),
    ],
)
def test_hosts_refused(fields, expected):
    assert details(fields, is_pro=True) == expected


# editing and uploading

AUDIO = "An upload's audio cannot be replaced."
ONE_OF = "Send only one of unlisted, publish and unpublish."


def test_an_edit_cannot_replace_the_audio():
    assert details({"mp3": ""}, editing=True) == {"mp3": [AUDIO]}
    assert details({"mp3": "x.mp3"}, editing=True) == {"mp3": [AUDIO]}
    assert details({}, editing=True, sent_files=["picture", "mp3"]) == {"mp3": [AUDIO]}
    assert parse({}, editing=True, sent_files=["picture"]) == UploadFields()


def test_an_upload_with_the_audio_sent_as_text_gets_a_hint():
    hint = "Send the audio as a file, not as text (with curl: -F mp3=@file.mp3)."
    assert details({"mp3": "upload.mp3"}) == {"mp3": [hint]}
    # An empty text part (a browser with no file chosen) is the caller's "required".
    assert parse({"mp3": ""}) == UploadFields(name="My Mix")
    assert parse({}, sent_files=["mp3"]) == UploadFields(name="My Mix")


def test_publish_and_unpublish_are_for_edits_only():
    assert parse({"publish": "true", "unpublish": "maybe"}) == UploadFields(name="My Mix")
    assert parse({"unpublish": "yes"}, editing=True) == UploadFields(unpublish=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"unlisted": "true", "publish": "true"},
        {"unlisted": "true", "unpublish": "true"},
        {"publish": "1", "unpublish": "on"},
        {"unlisted": "yes", "publish": "yes", "unpublish": "yes"},
    ],
)
def test_only_one_visibility_change_per_edit(fields):
    assert details(fields, editing=True) == {WHOLE_FORM: [ONE_OF]}


@pytest.mark.parametrize(
    "fields",
    [
        {"unlisted": "true", "publish": "false", "unpublish": "false"},
        {"unlisted": "false", "publish": "true", "unpublish": ""},
        {"unlisted": "false", "publish": "false", "unpublish": "true"},
    ],
)
def test_one_visibility_change_with_falses_is_fine(fields):
    parsed = parse(fields, editing=True)
    assert [parsed.unlisted, parsed.publish, parsed.unpublish].count(True) == 1


# the wire: unknown fields, repeats, several errors at once


def test_unknown_fields_are_ignored():
    fields = {
        "percentage_music": "80",
        "access_token": "secret",
        "sections-0-label": "Warp",
        "tags-0-slug": "x",
        "hosts-0-name": "x",
        "anything": "\x00",
    }
    assert parse(fields) == UploadFields(name="My Mix")
    assert parse(fields, editing=True) == UploadFields()


def test_the_last_value_of_a_repeated_field_wins():
    fields = wire(
        ("name", "First"),
        ("name", "Second"),
        ("unlisted", "maybe"),
        ("unlisted", "true"),
        ("tags-0-tag", "Old"),
        ("tags-0-tag", "New"),
        ("sections-0-chapter", "Old"),
        ("sections-0-chapter", "New"),
    )
    assert parse(fields) == UploadFields(
        name="Second", unlisted=True, tags=("New",), sections=(Section(chapter="New"),)
    )


def test_a_field_with_no_values_counts_as_not_sent():
    assert parse({"name": [], "description": []}, editing=True) == UploadFields()


def test_every_bad_field_is_reported_at_once():
    fields = {
        "name": " ",
        "description": "x" * 1001,
        "tags-5-tag": "Six",
        "tags-0-tag": "y" * 129,
        "sections-0-artist": "Artist",
        "sections-1-chapter": "Intro",
        "sections-1-start_time": "abc",
        "unlisted": "maybe",
        "hide_stats": "true",
        "publish_date": "2030-01-01T00:00:00Z",
        "hosts-0-username": "friend",
        "mp3": "upload.mp3",
    }
    with pytest.raises(UploadInvalid) as caught:
        parse(fields, name=None)
    found = caught.value.details
    assert found is not None
    assert set(found) == {
        "name",
        "description",
        "tags-5-tag",
        "tags-0-tag",
        "sections-0-song",
        "sections-1-start_time",
        "unlisted",
        "hide_stats",
        "publish_date",
        "hosts-0-username",
        "mp3",
    }
    assert found["name"] == [REQUIRED]
    assert found["hide_stats"] == found["publish_date"] == [PRO_ONLY]
    assert caught.value.message.startswith("The upload was not accepted: check description,")
    assert caught.value.body()["error"]["type"] == "FormValidationError"


def test_a_field_with_two_problems_gets_both_messages():
    name = "x" * 300 + "\n"
    assert details({"name": "a\x00" + name}, name=None) == {
        "name": [CONTROL, "Ensure this value has at most 255 characters (it has 302)."]
    }


# check_start_times


def sent(*pairs: tuple[str, int | None]) -> dict[str, str]:
    """Chapter sections as the client sent them: (field prefix index, start time)."""
    fields: dict[str, str] = {}
    for key, start in pairs:
        fields[f"sections-{key}-chapter"] = f"Part {key}"
        if start is not None:
            fields[f"sections-{key}-start_time"] = str(start)
    return fields


def test_start_times_within_the_audio():
    sections = parse(sent(("0", 0), ("1", None), ("2", 3600))).sections
    assert sections is not None
    assert check_start_times(sections, 3600) == {}
    assert check_start_times((), 0) == {}


def test_start_times_beyond_the_audio_name_the_fields_the_client_sent():
    sections = parse(sent(("0", 0), ("4", 100), ("9", 200), ("12", None))).sections
    assert isinstance(sections, SentSections)
    message = "Ensure this value is at most 150, the audio's length in seconds."
    assert check_start_times(sections, 150) == {"sections-9-start_time": [message]}
    assert set(check_start_times(sections, 99)) == {
        "sections-4-start_time",
        "sections-9-start_time",
    }


def test_start_times_beyond_the_audio_with_the_legacy_name():
    sections = parse({"sections-3-chapter": "Late", "sections-3-time": "61"}).sections
    assert sections is not None
    assert list(check_start_times(sections, 60)) == ["sections-3-time"]


def test_start_times_of_plain_sections_are_named_by_position():
    sections = (Section(chapter="A", start_time=0), Section(chapter="B", start_time=61))
    assert list(check_start_times(sections, 60)) == ["sections-1-start_time"]
    assert check_start_times(list(sections), 61) == {}


# properties

FIELD_NAMES = st.sampled_from(
    [
        "name", "description", "unlisted", "publish", "unpublish", "publish_date",
        "disable_comments", "hide_stats", "mp3", "percentage_music",
        "tags-0-tag", "tags-4-tag", "tags-5-tag", "tags-01-tag",
        "hosts-0-username", "hosts-1-username", "hosts-2-username",
        "sections-0-artist", "sections-0-song", "sections-0-chapter", "sections-0-start_time",
        "sections-1-artist", "sections-1-song", "sections-1-chapter", "sections-1-time",
        "sections-499-start_time", "sections-500-chapter", "sections-x-song",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["true", "False", "", " 0 ", "90", "-1", "2030-01-01T00:00:00Z"]),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", fullmatch=True),
)


@settings(max_examples=60)  # small forms explore fast; the suite stays within seconds
@given(
    fields=st.dictionaries(
        st.one_of(FIELD_NAMES, st.text(max_size=12)), st.lists(VALUES, max_size=3), max_size=12
    ),
    editing=st.booleans(),
    is_pro=st.booleans(),
)
def test_parse_only_ever_refuses_with_upload_invalid(fields, editing, is_pro):
    try:
        parsed = parse_upload_fields(fields, editing=editing, is_pro=is_pro, now=NOW)
    except UploadInvalid as error:
        assert error.details  # never an empty refusal
        return
    assert isinstance(parsed, UploadFields)
    if not editing:
        assert parsed.name and parsed.name == parsed.name.strip()
        assert parsed.publish is None and parsed.unpublish is None
    if not is_pro:
        assert parsed.publish_at is None and parsed.hosts is None
        assert not parsed.hide_stats and not parsed.disable_comments
    for section in parsed.sections or ():  # what the sections table's check constraint wants
        assert bool(section.chapter) != bool(section.artist and section.song)
    starts = [s.start_time for s in parsed.sections or () if s.start_time is not None]
    assert starts == sorted(starts)


def spelled(word: str) -> st.SearchStrategy[str]:
    """``word`` in any mix of cases, with spaces around it or not."""
    cases = st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )
    return st.tuples(st.sampled_from(["", " ", "  "]), cases, st.sampled_from(["", " "])).map(
        "".join
    )


@given(
    value=st.booleans(),
    data=st.data(),
    field=st.sampled_from(["unlisted", "disable_comments", "hide_stats", "publish", "unpublish"]),
)
def test_booleans_round_trip(value, data, field):
    words = ["true", "1", "on", "yes"] if value else ["false", "0", "off", "no", ""]
    word = data.draw(st.sampled_from(words).flatmap(spelled))
    parsed = parse_upload_fields({field: [word]}, editing=True, is_pro=True, now=NOW)
    assert getattr(parsed, field) is value
    # str(True) / str(False), as aiohttp's FormData sends Python booleans.
    parsed = parse_upload_fields({field: [str(value)]}, editing=True, is_pro=True, now=NOW)
    assert getattr(parsed, field) is value


def test_sent_sections_survive_pickling():
    # A job queue may carry the parsed fields: the client's field names must come along.
    parsed = parse({"sections-3-chapter": "Late", "sections-3-time": "61"})
    again = pickle.loads(pickle.dumps(parsed))
    assert again == parsed
    assert again.sections is not None
    assert list(check_start_times(again.sections, 60)) == ["sections-3-time"]
