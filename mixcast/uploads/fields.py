"""The text fields of an upload (``POST /upload/``) and an edit (``POST /upload/<key>/edit/``),
checked all at once: every bad field is reported in one ``UploadInvalid`` (wire-format.md §8),
because the client only hears back after the whole MP3 has been sent. Pure: no I/O, no clock.

The rules (api-docs.md "Uploads" and "Editing uploads"; where they are silent, what a Mixcloud
user would expect):

- A field sent several times: the last value wins. Unknown fields (``percentage_music``,
  ``access_token``, ``sections-0-label``, ``tags-0-foo``...) are ignored.
- Text fields are stripped of surrounding whitespace. One-line fields (name, tags, section
  texts, host usernames) refuse control characters (U+0000-U+001F, U+007F) and lone
  surrogates, which the database could not store or would show as garbage.
- ``name``: required when uploading ("This field is required." when missing or blank); on edit,
  optional, but if sent it must not be blank. At most 255 characters.
- ``description``: CRLF (and a lone CR) becomes LF, then it is stripped; at most 1000
  characters; line breaks and tabs are its only control characters. On edit, an empty
  description clears it.
- ``tags-X-tag``, X in 0..4 written plainly (``0``, ``4``; not ``04``): any other X is an error on
  that field. Empty values are skipped; runs of spaces inside a tag become one space; a tag is
  at most 128 characters and needs a letter or digit (it becomes a ``/genres/<slug>/`` page).
  Ordered by X; a tag equal to an earlier one ignoring case is dropped. Any ``tags-X-tag``
  field, even an empty one, makes ``tags`` not None: an edit replaces all tags, and empty
  values clear them.
- ``sections-X-artist|song|chapter|start_time``, X in 0..MAX_SECTIONS-1 (500: a generous
  tracklist; the largest seen in the wild are a few hundred tracks). A section is a track
  (artist and song) or a chapter; one of artist/song without the other is "This field is
  required." on the missing one; both kinds in one X is an error; a start time alone is an
  error; a section with every field empty is skipped (web forms send blank rows). Texts at most
  255 characters. ``start_time`` is optional, whole seconds >= 0 written in ASCII digits
  ("1.5", "-1", "abc" are refused), at most 2147483647 (the column is a 32-bit integer).
  ``sections-X-time`` (old clients) stands for ``start_time`` when that is absent, and its
  errors are reported under the name the client used. Start times, where given, must not
  decrease with X (the error is on the one that goes back). Gaps in X are fine: positions are
  renumbered 0..n-1 in X order, and ``SentSections`` remembers which field each came from.
  Any section field makes ``sections`` not None (an edit replaces the tracklist).
- Booleans (``unlisted``, ``disable_comments``, ``hide_stats``, ``publish``, ``unpublish``):
  true/1/on/yes and false/0/off/no, any case, surrounding spaces ignored; "" is false (and
  aiohttp's ``True``/``False`` are covered); anything else is "Enter true or false.".
- ``publish_date``: exactly ``YYYY-MM-DDTHH:MM:SSZ`` (surrounding spaces ignored), a real
  date, UTC, strictly after ``now``; empty means not sent. With ``unlisted`` true the date is
  checked for its format, then ignored (the docs: the upload is made private immediately).
- Pro only: ``publish_date``, ``disable_comments``, ``hide_stats``, ``hosts-X-username``. From
  another account, a value that asks for something (a date, a true boolean, a host) is "Only
  Pro accounts can use this field."; a false boolean or an empty value is accepted and means
  nothing (None), so clients that always send ``hide_stats=false`` keep working.
- ``hosts-X-username``, X in 0..1: stripped, empty values skipped, repeats (ignoring case) kept
  once; if every hosts field is empty the result is ``()``: "remove all hosts". Whether they
  accepted an invitation is the caller's check.
- Uploading: ``mp3`` sent as non-empty text rather than a file (``curl -F mp3=file.mp3``
  without the ``@``) is refused with a hint. ``publish``/``unpublish`` are ignored.
- Editing: ``mp3``, as a text field or among ``sent_files``, is "An upload's audio cannot be
  replaced."; at most one of ``unlisted``, ``publish``, ``unpublish`` may be true, else an
  error for the whole form (``__all__``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mixcast.shows.shows import Section
from mixcast.slugs import slugify
from mixcast.uploads.errors import WHOLE_FORM, UploadInvalid
from mixcast.uploads.limits import (
    MAX_DESCRIPTION,
    MAX_HOSTS,
    MAX_NAME,
    MAX_SECTION_TEXT,
    MAX_SECTIONS,
    MAX_START_TIME,
    MAX_TAG,
    MAX_TAGS,
)

REQUIRED = "This field is required."
BLANK = "This field cannot be blank."
NOT_BOOLEAN = "Enter true or false."
NOT_SECONDS = "Enter a whole number of seconds."
PRO_ONLY = "Only Pro accounts can use this field."
PAST_DATE = "The publish date must be in the future."
BAD_DATE = "Enter a date and time in UTC as YYYY-MM-DDTHH:MM:SSZ (e.g. 2015-11-21T14:05:00Z)."
CONTROL_LINE = "This field cannot contain control characters such as line breaks or tabs."
CONTROL_TEXT = "This field cannot contain control characters other than line breaks and tabs."
TOO_MANY_TAGS = f"Up to {MAX_TAGS} tags: tags-0-tag to tags-{MAX_TAGS - 1}-tag."
TOO_MANY_HOSTS = f"Up to {MAX_HOSTS} hosts: hosts-0-username to hosts-{MAX_HOSTS - 1}-username."
TOO_MANY_SECTIONS = f"Up to {MAX_SECTIONS} sections: sections-0-… to sections-{MAX_SECTIONS - 1}-…."
TAG_WITHOUT_WORD = "A tag needs at least one letter or digit."
TRACK_AND_CHAPTER = "A section is a track (artist and song) or a chapter, not both."
TIME_ALONE = "A start time needs a track (artist and song) or a chapter to start."
TIME_GOES_BACK = (
    "Start times cannot go back: this one is before the previous section's ({} seconds)."
)
AUDIO_REPLACED = "An upload's audio cannot be replaced."
MP3_AS_TEXT = "Send the audio as a file, not as text (with curl: -F mp3=@file.mp3)."
ONE_VISIBILITY = "Send only one of unlisted, publish and unpublish."

_TRUE = frozenset(("true", "1", "on", "yes"))
_FALSE = frozenset(("false", "0", "off", "no", ""))
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # LF and tab are fine
_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")  # ASCII only: str.isdigit() also accepts "٣"
_SECONDS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# X is what lies between the dashes ("-1" included, to be refused); "sections-0-start-time" is an
# unknown field, not section "0-start".
_TAG_KEY = re.compile(r"tags-(-?[^-]*)-tag")
_HOST_KEY = re.compile(r"hosts-(-?[^-]*)-username")
_SECTION_KEY = re.compile(r"sections-(-?[^-]*)-(artist|song|chapter|start_time|time)")

Errors = dict[str, list[str]]


class SentSections(tuple[Section, ...]):
    """The sections in X order, remembering the field each start time came from
    (``sections-7-start_time`` or the legacy ``sections-7-time``), so errors found later
    (``check_start_times``) name the field the client sent. Equal to a plain tuple of the same
    sections."""

    start_time_fields: tuple[str, ...]

    def __new__(cls, sections: Iterable[Section], start_time_fields: Iterable[str]) -> SentSections:
        self = super().__new__(cls, sections)
        self.start_time_fields = tuple(start_time_fields)
        if len(self.start_time_fields) != len(self):
            raise ValueError("one start time field per section")
        return self

    def __reduce__(self) -> tuple[type[SentSections], tuple[tuple[Section, ...], tuple[str, ...]]]:
        # Pickled with the fields (a job queue may carry it), which tuple's own way would drop.
        return SentSections, (tuple(self), self.start_time_fields)


@dataclass(frozen=True)
class UploadFields:
    """What an upload or edit asks for. None means "not sent" (an edit leaves it as it is)."""

    name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None  # () = tag fields sent, all empty: clear the tags
    sections: tuple[Section, ...] | None = None  # a SentSections when parsed
    hosts: tuple[str, ...] | None = None  # usernames; () = clear (hosts-0-username=)
    unlisted: bool | None = None
    publish: bool | None = None  # edit only
    unpublish: bool | None = None  # edit only
    publish_at: int | None = None  # microseconds since the epoch, UTC
    disable_comments: bool | None = None
    hide_stats: bool | None = None


def parse_upload_fields(
    fields: Mapping[str, Sequence[str]],
    *,
    editing: bool,
    is_pro: bool,
    now: int,
    sent_files: Collection[str] = (),
) -> UploadFields:
    """Check the text ``fields`` of a multipart body (name to its values, in the order sent) and
    return what they ask for, or raise ``UploadInvalid`` listing every bad field at once.

    ``sent_files`` names the file parts (``mp3``, ``picture``): an edit may not send ``mp3``.
    ``now`` (microseconds since the epoch) is what a publish date must be after.
    """
    errors: Errors = {}
    form = _Form(fields)

    if editing and ("mp3" in fields or "mp3" in sent_files):
        _add(errors, "mp3", AUDIO_REPLACED)
    elif not editing and form.last("mp3") and "mp3" not in sent_files:
        _add(errors, "mp3", MP3_AS_TEXT)

    unlisted = _boolean(form, "unlisted", errors)
    publish = _boolean(form, "publish", errors) if editing else None
    unpublish = _boolean(form, "unpublish", errors) if editing else None
    if [unlisted, publish, unpublish].count(True) > 1:
        _add(errors, WHOLE_FORM, ONE_VISIBILITY)

    result = UploadFields(
        name=_name(form, editing, errors),
        description=_description(form, errors),
        tags=_tags(form, errors),
        sections=_sections(form, errors),
        hosts=_hosts(form, is_pro, errors),
        unlisted=unlisted,
        publish=publish,
        unpublish=unpublish,
        publish_at=_publish_at(form, is_pro, now, bool(unlisted), errors),
        disable_comments=_pro_boolean(form, "disable_comments", is_pro, errors),
        hide_stats=_pro_boolean(form, "hide_stats", is_pro, errors),
    )
    if errors:
        raise UploadInvalid(errors)
    return result


def check_start_times(sections: Sequence[Section], seconds: int) -> dict[str, list[str]]:
    """Errors for sections that start after the end of the audio, ``seconds`` long; empty when
    all are within it. Keyed by the field the client sent when ``sections`` came from
    ``parse_upload_fields`` (a ``SentSections``), else ``sections-<position>-start_time``."""
    errors: Errors = {}
    for position, section in enumerate(sections):
        if section.start_time is None or section.start_time <= seconds:
            continue
        if isinstance(sections, SentSections):
            field = sections.start_time_fields[position]
        else:
            field = f"sections-{position}-start_time"
        _add(
            errors, field, f"Ensure this value is at most {seconds}, the audio's length in seconds."
        )
    return errors


class _Form:
    """The fields with the last value of each, plus the formset fields grouped by index."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self.values: dict[str, str] = {}
        for key, values in fields.items():
            if isinstance(values, str):  # a plain mapping of name to value: one value
                self.values[key] = values
            elif values:
                self.values[key] = values[-1]

    def last(self, key: str) -> str | None:
        return self.values.get(key)

    def matching(self, pattern: re.Pattern[str]) -> list[tuple[str, re.Match[str], str]]:
        """Every (field name, match, value) whose name ``pattern`` matches whole."""
        found = []
        for key, value in self.values.items():
            match = pattern.fullmatch(key)
            if match:
                found.append((key, match, value))
        return found


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _index(text: str, limit: int) -> int | None:
    """X of a ``prefix-X-sub`` field when it is written plainly and below ``limit``."""
    if _INDEX.fullmatch(text) and int(text) < limit:
        return int(text)
    return None


def _line(value: str, field: str, limit: int, errors: Errors) -> str:
    """A one-line text, stripped; its errors (control characters, length) go to ``errors``."""
    value = value.strip()
    if _CONTROL_LINE.search(value):
        _add(errors, field, CONTROL_LINE)
    _check_length(value, field, limit, errors)
    return value


def _check_length(value: str, field: str, limit: int, errors: Errors) -> None:
    if len(value) > limit:
        _add(
            errors,
            field,
            f"Ensure this value has at most {limit} characters (it has {len(value)}).",
        )


def _name(form: _Form, editing: bool, errors: Errors) -> str | None:
    value = form.last("name")
    if value is None and editing:
        return None
    if value is None or not value.strip():
        _add(errors, "name", BLANK if editing else REQUIRED)
        return None
    return _line(value, "name", MAX_NAME, errors)


def _description(form: _Form, errors: Errors) -> str | None:
    value = form.last("description")
    if value is None:
        return None
    # Browsers send CRLF; a limit counted on CRLF would make each line break cost two.
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL_TEXT.search(value):
        _add(errors, "description", CONTROL_TEXT)
    _check_length(value, "description", MAX_DESCRIPTION, errors)
    return value


def _tags(form: _Form, errors: Errors) -> tuple[str, ...] | None:
    found = form.matching(_TAG_KEY)
    if not found:
        return None
    by_index: dict[int, str] = {}
    for key, match, value in found:
        index = _index(match[1], MAX_TAGS)
        if index is None:
            _add(errors, key, TOO_MANY_TAGS)
            continue
        if _CONTROL_LINE.search(value.strip()):
            _add(errors, key, CONTROL_LINE)
        tag = " ".join(value.split())  # as ensure_tag stores it, so repeats compare alike
        if not tag:
            continue
        _check_length(tag, key, MAX_TAG, errors)
        if not slugify(tag):  # "!!!" would have no /genres/<slug>/ page
            _add(errors, key, TAG_WITHOUT_WORD)
        by_index[index] = tag
    return _once(by_index[i] for i in sorted(by_index))


def _once(values: Iterable[str]) -> tuple[str, ...]:
    """``values`` without repeats ignoring case, each kept where it first appears."""
    seen: set[str] = set()
    kept = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return tuple(kept)


def _hosts(form: _Form, is_pro: bool, errors: Errors) -> tuple[str, ...] | None:
    found = form.matching(_HOST_KEY)
    if not found:
        return None
    by_index: dict[int, str] = {}
    for key, match, value in found:
        index = _index(match[1], MAX_HOSTS)
        if index is None:
            _add(errors, key, TOO_MANY_HOSTS)
            continue
        username = _line(value, key, MAX_NAME, errors)
        if username and not is_pro:
            _add(errors, key, PRO_ONLY)
        elif username:
            by_index[index] = username
    if not is_pro:
        return None  # empty host fields from another account mean nothing, not "clear"
    return _once(by_index[i] for i in sorted(by_index))


def _sections(form: _Form, errors: Errors) -> SentSections | None:
    found = form.matching(_SECTION_KEY)
    if not found:
        return None
    parts: dict[int, dict[str, str]] = {}
    for key, match, value in found:
        index = _index(match[1], MAX_SECTIONS)
        if index is None:
            _add(errors, key, TOO_MANY_SECTIONS)
        else:
            parts.setdefault(index, {})[match[2]] = value
    sections: list[Section] = []
    time_fields: list[str] = []
    previous: int | None = None  # the last start time given, to keep them in order
    for index in sorted(parts):
        section, time_field = _section(index, parts[index], errors)
        if section is None:
            continue
        start = section.start_time
        if start is not None:
            if previous is not None and start < previous:
                _add(errors, time_field, TIME_GOES_BACK.format(previous))
            previous = start
        sections.append(section)
        time_fields.append(time_field)
    return SentSections(sections, time_fields)


def _section(index: int, part: dict[str, str], errors: Errors) -> tuple[Section | None, str]:
    """Section X from its fields, and the name of the field its start time came from; None
    for a row left blank."""
    prefix = f"sections-{index}-"
    texts = {
        sub: _line(part[sub], prefix + sub, MAX_SECTION_TEXT, errors) if sub in part else ""
        for sub in ("artist", "song", "chapter")
    }
    artist, song, chapter = (texts[sub] or None for sub in ("artist", "song", "chapter"))
    # The legacy name only counts when the current one is absent (not merely empty).
    time_sub = "time" if "start_time" not in part and "time" in part else "start_time"
    time_field = prefix + time_sub
    start_time = _seconds(part.get(time_sub, ""), time_field, errors)

    if chapter and (artist or song):
        _add(errors, prefix + "chapter", TRACK_AND_CHAPTER)
    elif artist and not song:
        _add(errors, prefix + "song", REQUIRED)
    elif song and not artist:
        _add(errors, prefix + "artist", REQUIRED)
    elif not (chapter or artist):
        if start_time is not None:
            _add(errors, time_field, TIME_ALONE)
        return None, time_field
    if chapter:
        return Section(chapter=chapter, start_time=start_time), time_field
    return Section(artist=artist, song=song, start_time=start_time), time_field


def _seconds(value: str, field: str, errors: Errors) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not _SECONDS.fullmatch(value):
        _add(errors, field, NOT_SECONDS)
        return None
    # The length test first: int() of thousands of digits is slow, then refused by Python.
    if len(value.lstrip("0")) > len(str(MAX_START_TIME)) or int(value) > MAX_START_TIME:
        _add(errors, field, f"Ensure this value is less than or equal to {MAX_START_TIME}.")
        return None
    return int(value)


def _boolean(form: _Form, key: str, errors: Errors) -> bool | None:
    value = form.last(key)
    if value is None:
        return None
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    _add(errors, key, NOT_BOOLEAN)
    return None


def _pro_boolean(form: _Form, key: str, is_pro: bool, errors: Errors) -> bool | None:
    value = _boolean(form, key, errors)
    if is_pro or value is None:
        return value
    if value:
        _add(errors, key, PRO_ONLY)
    return None  # false from another account: accepted, and means nothing


def _publish_at(form: _Form, is_pro: bool, now: int, unlisted: bool, errors: Errors) -> int | None:
    value = (form.last("publish_date") or "").strip()
    if not value:
        return None
    if not is_pro:
        _add(errors, "publish_date", PRO_ONLY)
        return None
    when = _utc_seconds(value)
    if when is None:
        _add(errors, "publish_date", BAD_DATE)
        return None
    if unlisted:  # "If there is a scheduled publish_date, it will be ignored"
        return None
    publish_at = when * 1_000_000
    if publish_at <= now:
        _add(errors, "publish_date", PAST_DATE)
        return None
    return publish_at


def _utc_seconds(value: str) -> int | None:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SSZ``; None unless exactly that and real."""
    if not _DATE.fullmatch(value):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # 2015-02-30, hour 24, year 0000
        return None
    return int(moment.timestamp())
