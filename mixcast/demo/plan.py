"""The demo's content, decided before anything is written: users, shows and what happened since.

``make_plan()`` is pure: one seeded ``random.Random`` per part and a fixed clock (the two years
before ``model.BASE``), so every run plans the same rows in the same order: nothing depends on
the current time or on the order of a set. Users and shows refer to each other by their index
in the plan; the loader maps indexes to database ids. ``activity`` plans the events.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from mixcast.accounts.usernames import RESERVED, USERNAME
from mixcast.demo import names
from mixcast.demo.activity import plan_follows, plan_listens, plan_reactions
from mixcast.demo.audio import POOL, style_for
from mixcast.demo.model import (
    BASE,
    DAY,
    SECOND,
    START,
    Plan,
    ShowPlan,
    UserPlan,
    rng_for,
)
from mixcast.shows.shows import Section
from mixcast.slugs import slugify

SPARTACUS = "spartacus"
OTHER_USERS = 40
TOTAL_SHOWS = 250
PARTY_TIME_AT = START + 3 * DAY + 20 * 3600 * SECOND  # 2024-01-04T20:00:00Z
FEATURED_CITIES = ("London", "Athens", "Berlin", "Bristol", "Lisbon", "New York", "Tokyo")


# ------------------------------------------------------------------ users


def _spartacus() -> UserPlan:
    """The first user: part of the team, and the owner of Party Time."""
    return UserPlan(
        username=SPARTACUS,
        display_name="Spartacus",
        biog="Part of the mixcast team - since mixcast was just a good idea.",
        city="London",
        country="United Kingdom",
        is_pro=True,
        created_at=START + 9 * 3600 * SECOND,
        genres=("Funk", "House", "Disco", "Soul"),
        popularity=6.0,
        picture_seed=1,
        initials="S",
        cover_seed=1,
    )


def _place(rng: random.Random, i: int) -> tuple[names.Region, str]:
    """The featured cities first, so each has someone; then by each region's weight."""
    if i < len(FEATURED_CITIES):
        city = FEATURED_CITIES[i]
        return next(r for r in names.REGIONS if city in r.cities), city
    region = rng.choices(names.REGIONS, [r.weight for r in names.REGIONS])[0]
    return region, rng.choices(region.cities, range(len(region.cities) + 1, 1, -1))[0]


def _free(candidates: Sequence[str], taken: list[str]) -> str:
    """The first candidate that is a valid, unreserved and untaken username."""
    for name in candidates:
        key = name.casefold()
        if USERNAME.match(name) and key not in RESERVED and key not in taken:
            taken.append(key)
            return name
    raise ValueError(f"no free username among {candidates}")


def _person(rng: random.Random, region: names.Region, taken: list[str]) -> tuple[str, str, str]:
    """(username, display name, initials) for a person or a DJ alias."""
    first, first_ascii = rng.choice(region.first_names)
    last, last_ascii = rng.choice(region.last_names)
    f, la = first_ascii.lower(), last_ascii.lower()
    if rng.random() < 0.15:
        return _free([f"dj{f}", f"dj-{f}", f"dj{f}{la[0]}"], taken), f"DJ {first}", first[0]
    candidates = rng.sample([f"{f}{la}", f"{f}-{la}", f"{f}_{la[0]}", f"{f}{la[:3]}"], 4)
    username = _free([*candidates, f"{f}{la}{rng.randrange(10, 99)}"], taken)
    return username, f"{first} {last}", first[0] + last[0]


def _biog(rng: random.Random, templates: Sequence[str], genres: Sequence[str], city: str) -> str:
    """A biography from one of ``templates``."""
    return rng.choice(templates).format(
        genre=genres[0],
        genre2=genres[-1],
        genres=", ".join(genres[:3]),
        city=city,
        year=rng.randrange(1994, 2022),
        venue=rng.choice(names.VENUES),
    )


def _genres(rng: random.Random) -> tuple[str, ...]:
    """Two to four genres from one family, and now and then one from anywhere."""
    genres = rng.sample(rng.choice(names.GENRE_FAMILIES), rng.randrange(2, 5))
    stray = rng.choice(names.GENRES)
    if rng.random() < 0.2 and stray not in genres:
        genres.append(stray)
    return tuple(genres)


def _other_user(rng: random.Random, i: int, taken: list[str], collectives: list[str]) -> UserPlan:
    """A person, DJ or collective, from the ``i``-th place."""
    region, city = _place(rng, i)
    genres = _genres(rng)
    if collectives and rng.random() < 0.18:
        display = collectives.pop(0)
        username = _free([display.replace(" ", "").lower(), slugify(display)], taken)
        initials, biog = "", _biog(rng, names.COLLECTIVE_BIOGS, genres, city)
    else:
        username, display, initials = _person(rng, region, taken)
        biog = _biog(rng, names.BIOGS, genres, city)
        initials = initials if rng.random() < 0.7 else ""
    return UserPlan(
        username=username,
        display_name=display,
        biog=biog,
        city=city,
        country=region.country,
        is_pro=rng.random() < 0.25,
        # Early adopters are likelier: most joined in the first year.
        created_at=START + DAY + int((BASE - START) * 0.75 * rng.random() ** 1.4),
        genres=genres,
        popularity=rng.lognormvariate(0, 0.8),
        picture_seed=rng.getrandbits(32) if rng.random() < 0.9 else None,
        initials=initials,
        cover_seed=rng.getrandbits(32) if rng.random() < 0.3 else None,
        makes_shows=rng.random() < 0.82,
    )


def plan_users() -> list[UserPlan]:
    """Spartacus, then ``OTHER_USERS`` more, in the order they joined."""
    rng = rng_for("users")
    taken = [SPARTACUS]
    collectives = rng.sample(names.COLLECTIVES, len(names.COLLECTIVES))
    others = [_other_user(rng, i, taken, collectives) for i in range(OTHER_USERS)]
    return [_spartacus(), *sorted(others, key=lambda u: u.created_at)]


# ------------------------------------------------------------------ shows


def _clip_for(rng: random.Random, genre: str) -> int:
    """A clip of the style that suits ``genre``."""
    style = style_for(genre)
    return rng.choice([i for i, (s, _) in enumerate(POOL) if s == style])


def _tracklist(rng: random.Random, seconds: int) -> tuple[Section, ...]:
    """Tracks (and sometimes a chapter) with rising start times inside the audio."""
    count = rng.randrange(3, 8)
    starts = sorted(rng.sample(range(2, seconds - 2), count - 1))
    sections = [_track(rng, start) for start in (0, *starts)]
    if rng.random() < 0.25:  # a guest mix or an interview in the middle
        at = rng.randrange(len(sections))
        chapter = rng.choice(names.CHAPTERS)
        sections[at] = Section(chapter=chapter, start_time=sections[at].start_time)
    return tuple(sections)


def _artist_name(rng: random.Random) -> str:
    """A made-up artist: a person, a one-word name or a band."""
    roll = rng.random()
    if roll < 0.4:
        region = rng.choice(names.REGIONS)
        return f"{rng.choice(region.first_names)[0]} {rng.choice(region.last_names)[0]}"
    if roll < 0.6:
        return rng.choice(names.ARTIST_WORDS)
    if roll < 0.8:
        return f"The {rng.choice(names.ADJECTIVES)} {rng.choice(names.NOUNS)}"
    return f"{rng.choice(names.ARTIST_WORDS)} {rng.choice(names.ARTIST_GROUPS)}"


def _song_name(rng: random.Random) -> str:
    """A made-up song title."""
    if rng.random() < 0.5:
        return f"{rng.choice(names.SONG_VERBS)} {rng.choice(names.SONG_PLACES)}"
    name = f"{rng.choice(names.ADJECTIVES)} {rng.choice(names.NOUNS)}"
    return name + " (Extended Mix)" if rng.random() < 0.15 else name


def _track(rng: random.Random, start: int) -> Section:
    """A track starting at ``start`` seconds."""
    return Section(artist=_artist_name(rng), song=_song_name(rng), start_time=start)


def _month_year(at: int) -> tuple[str, int]:
    """("March", 2025) for a time in 2024 or 2025."""
    days = (at - START) // DAY  # START is 1 January 2024
    year, day = (2024, days) if days < 366 else (2025, days - 366)
    lengths = (31, 29 if year == 2024 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    month = 0
    while day >= lengths[month]:
        day -= lengths[month]
        month += 1
    return names.MONTHS[month], year


def _show_name(rng: random.Random, tags: Sequence[str], city: str, at: int, n: int) -> str:
    """A show name from a template: words, genres, places, series numbers, months."""
    month, year = _month_year(at)
    return rng.choice(names.SHOW_NAMES).format(
        adj=rng.choice(names.ADJECTIVES),
        noun=rng.choice(names.NOUNS),
        genre=tags[0],
        city=city,
        n=n,
        month=month,
        year=year,
        venue=rng.choice(names.VENUES),
    )


def _description(rng: random.Random, tags: Sequence[str], city: str) -> str:
    """A show description naming its genres; some are empty."""
    genres = ", ".join(tags[:-1]) + " and " + tags[-1] if len(tags) > 1 else tags[0]
    text = rng.choice(names.DESCRIPTIONS).format(
        mood=rng.choice(names.MOODS),
        moment=rng.choice(names.MOMENTS),
        genres=genres.lower(),
        genre=tags[0].lower(),
        city=city,
        venue=rng.choice(names.VENUES),
    )
    return text[:1].upper() + text[1:]


def _tags(rng: random.Random, genres: Sequence[str]) -> tuple[str, ...]:
    """1-5 genres: the owner's own first, then any others."""
    count = rng.choices((1, 2, 3, 4, 5), (10, 30, 30, 20, 10))[0]
    tags = list(rng.sample(genres, min(count, len(genres))))
    while len(tags) < count:
        extra = rng.choice(names.GENRES)
        if extra not in tags:
            tags.append(extra)
    return tuple(tags)


def _party_time() -> ShowPlan:
    """Spartacus's show, the first on the site, with a fixed tracklist."""
    clip = next(i for i, (style, _) in enumerate(POOL) if style == "house")
    return ShowPlan(
        owner=0,
        name="Party Time",
        created_at=PARTY_TIME_AT,
        tags=("Funk", "House"),
        clip=clip,
        description=(
            "The first show on mixcast: funk and house to get the party started. Old favourites,"
            " new finds and a few surprises."
        ),
        sections=(
            Section(artist="The Groove Assembly", song="Get Up and Move", start_time=0),
            Section(artist="Nia Brooks", song="Sunny Side of the Street", start_time=4),
            Section(chapter="Shout-outs", start_time=8),
            Section(artist="Lumen Allstars", song="Dancing Under the Lights", start_time=10),
            Section(artist="Marlow", song="Velvet Heat (Extended Mix)", start_time=13),
        ),
        artwork_seed=1,
        popularity=8.0,
    )


def _shows_of(rng: random.Random, owner: int, user: UserPlan, count: int) -> list[ShowPlan]:
    """``count`` shows by one user, named in the order they were made (series numbers rise).

    All come after Party Time, the first show on the site.
    """
    first = max(user.created_at, PARTY_TIME_AT) + DAY
    times = sorted(first + int((BASE - 2 * DAY - first) * rng.random()) for _ in range(count))
    series, slugs, shows = rng.randrange(1, 40), [], []
    for at in times:
        tags = _tags(rng, user.genres)
        for _ in range(20):  # a name the owner has not used yet
            name = _show_name(rng, tags, user.city, at, series)
            if slugify(name) not in slugs:
                break
        slugs.append(slugify(name))
        series += 1
        clip = _clip_for(rng, tags[0])
        shows.append(
            ShowPlan(
                owner=owner,
                name=name,
                created_at=at,
                tags=tags,
                clip=clip,
                description=_description(rng, tags, user.city),
                sections=_tracklist(rng, POOL[clip][1]) if rng.random() < 0.65 else (),
                artwork_seed=rng.getrandbits(32) if rng.random() < 0.45 else None,
                popularity=user.popularity * rng.lognormvariate(0, 0.7),
            )
        )
    return shows


def _hide_some(rng: random.Random, shows: list[ShowPlan]) -> list[ShowPlan]:
    """A few unlisted and draft shows (never Spartacus's, which others' tests expect public)."""
    candidates = [i for i, s in enumerate(shows) if s.owner != 0]
    picked = rng.sample(candidates, 11)
    out = list(shows)
    for n, i in enumerate(picked):
        out[i] = replace(out[i], visibility="unlisted" if n < 6 else "draft")
    return out


def plan_shows(users: Sequence[UserPlan]) -> list[ShowPlan]:
    """``TOTAL_SHOWS`` shows in the order they were made; makers get at least one each."""
    rng = rng_for("shows")
    makers = [i for i, u in enumerate(users) if u.makes_shows and i != 0]
    counts = {i: 1 for i in makers}
    counts[0] = 3
    extra = TOTAL_SHOWS - sum(counts.values())
    for i in rng.choices(makers, [users[i].popularity + 0.5 for i in makers], k=extra):
        counts[i] += 1
    shows = [_party_time(), *_shows_of(rng, 0, users[0], counts[0] - 1)]
    for i in makers:
        shows.extend(_shows_of(rng, i, users[i], counts[i]))
    return _hide_some(rng, sorted(shows, key=lambda s: s.created_at))


def make_plan() -> Plan:
    """The whole demo: users, shows and every event, events in time order."""
    users = plan_users()
    shows = plan_shows(users)
    listens = plan_listens(users, shows)
    events = [*plan_follows(users), *listens, *plan_reactions(users, shows, listens)]
    # Equal times keep the order they were planned in (sorted is stable).
    return Plan(users, shows, sorted(events, key=lambda e: e.at))
