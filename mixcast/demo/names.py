"""Word lists for the demo: places, people's names, genres, and the parts of show and track names.

Plain tuples (never sets or dicts iterated for choices), so a seeded ``random.Random`` picks the
same words on every run. Every artist and track here is made up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A country, its cities (the first most likely) and names common there.

    Names are (display, ascii) pairs: usernames are ASCII, display names need not be.
    """

    country: str
    cities: tuple[str, ...]
    first_names: tuple[tuple[str, str], ...]
    last_names: tuple[tuple[str, str], ...]
    weight: int


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    """Names written the same in ASCII."""
    return tuple((n, n) for n in names)


REGIONS: tuple[Region, ...] = (
    Region(
        "United Kingdom",
        ("London", "Bristol", "Manchester", "Glasgow", "Leeds"),
        _same("Olivia", "James", "Amara", "Tom", "Priya", "Callum", "Zoe", "Kwame", "Isla", "Rhys"),
        _same("Hughes", "Okafor", "Patel", "Bennett", "Walsh", "Clarke", "Murray", "Evans"),
        9,
    ),
    Region(
        "Greece",
        ("Athens", "Thessaloniki"),
        _same("Nikos", "Eleni", "Giorgos", "Maria", "Dimitris", "Katerina", "Yannis", "Sofia"),
        _same("Papadakis", "Georgiou", "Nikolaou", "Karras", "Vlachos", "Antoniou"),
        4,
    ),
    Region(
        "Germany",
        ("Berlin", "Hamburg", "Cologne", "Leipzig"),
        _same("Lena", "Jonas", "Mia", "Felix", "Hannah", "Lukas", "Jana", "Moritz"),
        (*_same("Schmidt", "Becker", "Wagner", "Hoffmann", "Vogel"), ("Krüger", "Kruger")),
        5,
    ),
    Region(
        "Portugal",
        ("Lisbon", "Porto"),
        (("João", "Joao"), ("Inês", "Ines"), *_same("Tiago", "Beatriz", "Rui", "Marta")),
        _same("Silva", "Costa", "Ferreira", "Sousa", "Rocha", "Almeida"),
        3,
    ),
    Region(
        "United States",
        ("New York", "Chicago", "Detroit", "Los Angeles", "New Orleans"),
        _same("Marcus", "Jasmine", "Andre", "Kayla", "Darnell", "Rosa", "Ethan", "Nia"),
        _same("Johnson", "Rivera", "Brooks", "Coleman", "Nguyen", "Kim", "Washington"),
        6,
    ),
    Region(
        "Japan",
        ("Tokyo", "Osaka", "Kyoto"),
        _same("Haruto", "Yui", "Ren", "Aoi", "Sota", "Hina", "Kenji", "Mika"),
        _same("Sato", "Tanaka", "Suzuki", "Watanabe", "Ito", "Nakamura"),
        3,
    ),
    Region(
        "France",
        ("Paris", "Marseille", "Lyon"),
        (("Chloé", "Chloe"), ("Théo", "Theo"), *_same("Camille", "Louis", "Manon", "Hugo")),
        _same("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Fontaine"),
        3,
    ),
    Region(
        "Brazil",
        ("São Paulo", "Rio de Janeiro"),
        (("Luíza", "Luiza"), *_same("Gabriel", "Ana", "Rafael", "Bruna", "Pedro")),
        _same("Santos", "Oliveira", "Pereira", "Lima", "Carvalho"),
        2,
    ),
    Region(
        "Nigeria",
        ("Lagos",),
        _same("Chidi", "Ngozi", "Tunde", "Funmi", "Emeka", "Ada"),
        _same("Adeyemi", "Okonkwo", "Balogun", "Eze"),
        1,
    ),
)

# Accounts that are not one person: stations, crews, club nights.
COLLECTIVES: tuple[str, ...] = (
    "Low Tide Radio",
    "Night Shift Collective",
    "Sunday Service Sound",
    "Crate Diggers Club",
    "Basement Frequencies",
    "Rooftop Sessions",
    "Slow Motion Soundsystem",
    "Second Hand Grooves",
)

# Genres that go together: a user picks most of theirs from one family.
GENRE_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("House", "Deep House", "Disco", "Funk", "Soul", "Garage"),
    ("Techno", "Minimal", "Electronica", "Trance", "House"),
    ("Drum and Bass", "Jungle", "Breaks", "Dubstep", "Garage"),
    ("Ambient", "Downtempo", "Balearic", "Electronica", "Jazz"),
    ("Jazz", "Soul", "Funk", "Hip Hop", "Afrobeat"),
    ("Reggae", "Dub", "Dubstep", "Afrobeat", "Hip Hop"),
)
GENRES: tuple[str, ...] = tuple(dict.fromkeys(g for family in GENRE_FAMILIES for g in family))

ADJECTIVES: tuple[str, ...] = (
    "Golden", "Midnight", "Velvet", "Electric", "Cosmic", "Slow", "Deep", "Hazy", "Sunny",
    "Lost", "Hidden", "Liquid", "Neon", "Warm", "Solar", "Lunar", "Wild", "Quiet", "Rainy",
    "Heavy", "Dusty", "Crystal", "Analog", "Secret", "Endless", "Tropical", "Blue", "Open",
)  # fmt: skip

NOUNS: tuple[str, ...] = (
    "Grooves", "Frequencies", "Horizons", "Rhythms", "Echoes", "Waves", "Dreams", "Circuits",
    "Gardens", "Voyage", "Signals", "Heat", "Tides", "Skyline", "Basement", "Rooftop",
    "Afterhours", "Daydreams", "Shadows", "Motion", "Orbit", "Pulse", "Selections",
    "Transmissions", "Crates", "Reflections", "Weather", "Currents",
)  # fmt: skip

# {adj} {noun} {genre} {city} {n} {month} {year} {venue}
SHOW_NAMES: tuple[str, ...] = (
    "{adj} {noun}",
    "{adj} {noun} Mix",
    "{genre} Sessions Vol. {n}",
    "Late Night {genre}",
    "{city} {genre} Mix",
    "{noun} Radio #{n}",
    "Live at {venue}",
    "{month} {year} Mix",
    "The {noun} Hour",
    "{adj} {genre}",
    "Deep Cuts #{n}",
    "Sunday {noun}",
    "Back to the {noun}",
    "{genre} Selections {month} {year}",
)

VENUES: tuple[str, ...] = (
    "The Lighthouse", "Studio 9", "Club Meridian", "Warehouse 23", "The Blue Door",
    "the Rooftop Terrace", "Café Atlas", "Basement 45", "The Palm House", "Harbour Hall",
)  # fmt: skip

MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

DESCRIPTIONS: tuple[str, ...] = (
    "A {mood} selection of {genres}, recorded at home in {city}.",
    "Recorded live at {venue}, {city}. Thanks to everyone who came down!",
    "New {genre} releases, old favourites and a few surprises. Tracklist below.",
    "{genres} for {moment}.",
    "This month's show: {genres}. Big thanks to the labels for the promos.",
    "One take, all vinyl: {genres} from the {city} record shops.",
    "Warm-up set from {venue}: {mood} {genre} to start the night.",
    "",
)

MOODS: tuple[str, ...] = ("mellow", "uplifting", "dubby", "hypnotic", "sunny", "late-night")
MOMENTS: tuple[str, ...] = (
    "slow Sunday mornings",
    "the drive home",
    "a summer evening",
    "rainy afternoons",
    "the after-party",
    "getting things done",
)

BIOGS: tuple[str, ...] = (
    "{genre} DJ and producer from {city}.",
    "Selector, crate digger and {genre} obsessive. Based in {city}.",
    "Weekly radio show from {city}: {genres}.",
    "Playing records since {year}. Resident at {venue}.",
    "Mostly {genre}, sometimes {genre2}. Always vinyl.",
    "{city} born and raised. {genres}.",
    "",
)
COLLECTIVE_BIOGS: tuple[str, ...] = (
    "{city} collective putting on {genre} nights since {year}.",
    "Community radio from {city}: {genres}, every week.",
    "A {genre} night and a bunch of friends with too many records. {city}.",
)

ARTIST_WORDS: tuple[str, ...] = (
    "Kaleido", "Moonbeam", "Ostara", "Fennec", "Lumen", "Marlow", "Tessellate", "Halcyon",
    "Nocturne", "Pastiche", "Quarters", "Sable", "Vantablue", "Wren", "Cirrus", "Parallax",
)  # fmt: skip
ARTIST_GROUPS: tuple[str, ...] = (
    "Collective", "Orchestra", "Sound System", "Quartet", "Ensemble", "Allstars", "Trio",
)  # fmt: skip
SONG_VERBS: tuple[str, ...] = (
    "Dancing", "Waiting", "Running", "Falling", "Floating", "Drifting", "Moving", "Holding On",
)  # fmt: skip
SONG_PLACES: tuple[str, ...] = (
    "in the Rain", "on the Water", "After Dark", "Through the Night", "in Slow Motion",
    "Under the Lights", "to the Sun", "on Air",
)  # fmt: skip

CHAPTERS: tuple[str, ...] = (
    "Intro",
    "Warm-up",
    "Guest Mix",
    "Interview",
    "Live Set",
    "Back to Back",
    "Peak Time",
    "Cool Down",
    "Shout-outs",
)

COMMENTS: tuple[str, ...] = (
    "What a mix! On repeat all week.",
    "That second track though. ID please?",
    "Perfect for a Sunday morning.",
    "Brilliant selection, as always.",
    "Took me straight back to last summer.",
    "The transition at the end is something else.",
    "Been waiting for this one!",
    "Lovely vibes, thank you.",
    "This is the one. Saving it for the weekend.",
    "Proper music. More of this please.",
    "Played this at the office and everybody asked what it was.",
    "So good to hear this live again.",
)
PROFILE_COMMENTS: tuple[str, ...] = (
    "Welcome aboard!",
    "Loving the shows, keep them coming.",
    "Great to find you here.",
)
