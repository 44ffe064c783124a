"""The shared query parameters: the JSONP ``callback`` and boolean flags such as ``metadata``."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mixcast.api.params import parse_callback, parse_flag
from mixcast.errors import InvalidParameter

# An ASCII JavaScript identifier path, written independently of mixcast's own pattern.
IDENTIFIER = r"[A-Za-z_$][A-Za-z0-9_$]*"
IDENTIFIER_PATH = re.compile(rf"{IDENTIFIER}(?:\.{IDENTIFIER})*")
FORBIDDEN = set("()<>;'\"`\\/=,+-*&|!?:{}[]%#@^~") | {chr(c) for c in range(33)} | {"\x7f"}

_START = "abcxyzABCXYZ_$"
_REST = _START + "0123456789"
identifier = st.builds(
    lambda head, tail: head + tail, st.sampled_from(_START), st.text(alphabet=_REST, max_size=12)
)
identifier_path = st.lists(identifier, min_size=1, max_size=5).map(".".join)

callback_like = st.one_of(
    st.text(max_size=140),
    st.text(alphabet="ab$_.1( );<\n\t'\"", max_size=20),
    identifier_path.map(lambda s: s + "\n"),
    st.tuples(identifier_path, st.text(max_size=3), identifier_path).map("".join),
)


@given(callback_like)
@example("fn\n")
@example("a\u2028b")
@example("fn\u0000")
def test_an_accepted_callback_is_a_plain_identifier_path(value):
    try:
        result = parse_callback(value)
    except InvalidParameter:
        return
    if not value:
        assert result is None
        return
    assert result == value
    assert IDENTIFIER_PATH.fullmatch(value), repr(value)
    assert not set(value) & FORBIDDEN, repr(value)
    assert not any(ch.isspace() for ch in value)
    assert len(value) <= 128


@given(identifier_path)
def test_every_identifier_path_up_to_128_characters_is_accepted(value):
    assert parse_callback(value) == value


@pytest.mark.parametrize("value", [None, ""])
def test_absent_or_empty_callback_means_no_jsonp(value):
    assert parse_callback(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "a<b",
        "alert(1)",
        "a..b",
        "1abc",
        "x" * 129,
        "a b",
        "a;b",
        "a.",
        ".a",
        "ä",
        "fn\n",
        "\nfn",
        "a\u00a0b",
        "ａｂ",
    ],  # the last: full-width letters
)
def test_junk_callbacks_raise_invalid_parameter(value):
    with pytest.raises(InvalidParameter) as raised:
        parse_callback(value)
    assert raised.value.http_status == 400
    assert raised.value.type == "InvalidParameterException"


# ------------------------------------------------------------------ flags


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "on", "yes"])
def test_true_flags(value):
    assert parse_flag("metadata", value) is True


@pytest.mark.parametrize("value", [None, "", "0", "false", "FALSE", "off", "no"])
def test_false_flags(value):
    assert parse_flag("metadata", value) is False


@pytest.mark.parametrize("value", ["junk", "2", "-1", "1.0", " 1", "1 ", "t", "y", "\x00"])
def test_junk_flags_name_the_parameter(value):
    with pytest.raises(InvalidParameter) as raised:
        parse_flag("metadata", value)
    assert "metadata" in raised.value.message


@given(st.text(max_size=50))
def test_a_flag_is_a_bool_or_an_invalid_parameter(value):
    try:
        result = parse_flag("metadata", value)
    except InvalidParameter as error:
        assert len(error.message) < 600  # the value is quoted, but cut short
        return
    assert isinstance(result, bool)
    assert value.lower() in {"1", "true", "on", "yes", "", "0", "false", "off", "no"}


def test_a_huge_junk_flag_is_not_echoed_whole():
    with pytest.raises(InvalidParameter) as raised:
        parse_flag("metadata", "x" * 10_000)
    assert len(raised.value.message) < 200
