"""``mixcast demo``: write the planned demo through the domain's own functions.

Users, shows, pictures and every engagement go through the same named functions the app uses
(``create_user``, ``create_show``, ``follow_user``, ``FAVORITES.add``, ``record_listen`` ...), so
each counter is kept in step by the code that owns it, and the demo shows what the app would
make. The audio is real: a small pool of generated MP3 clips (``demo.audio``), one copy per show
under ``shows/<id>/original.mp3``.

Deterministic: ``demo.plan`` decides every row from fixed seeds and a fixed clock, and rows are
written in plan order, so two loads into fresh databases give the same rows and ids. The one
exception is picture ids, which ``save_picture`` draws at random by design.

Ranked: once the rows are in, one ranking refresh (``ranking.job``) as of the demo's clock
(``model.BASE``) fills the popular and hot scores.

Idempotent: the whole load is one transaction that starts by looking for the user
``spartacus``. If he exists the demo is there already (or the name is taken) and nothing is
written; if the load fails half-way, the transaction rolls back and a second run starts afresh.
Pictures and audio files written before a failure stay in storage, unreferenced.

CPU is the cost (picture renditions, MP3 encoding): two worker threads draw the pictures, cut
their renditions and make the audio pool, while the event loop writes files and rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial

from mixcast.accounts.follows import follow_user
from mixcast.accounts.users import create_user, get_user
from mixcast.db.database import Connection, Query
from mixcast.demo import art
from mixcast.demo.audio import Clip, make_pool
from mixcast.demo.model import BASE, DAY, Event, Plan, ShowPlan, UserPlan
from mixcast.demo.plan import SPARTACUS, make_plan
from mixcast.media.artwork import Renditions, make_renditions
from mixcast.pictures.store import save_picture
from mixcast.ranking.job import refresh_scores
from mixcast.services import Services, open_services
from mixcast.settings import Settings
from mixcast.shows.engagement import (
    FAVORITES,
    LISTEN_LATER,
    REPOSTS,
    add_comment,
    record_listen,
)
from mixcast.shows.playlists import add_to_playlist, create_playlist
from mixcast.shows.shows import NewShow, create_show
from mixcast.storage import BlobStore

ALREADY_LOADED = "demo data already loaded (the user spartacus exists); nothing changed"
AUDIO_SEED = 20_260_101

# The pipeline will set these when it makes media; the demo's media is made here instead.
_SET_BLOBS = Query("UPDATE shows SET original_blob = :key, stream_blob = :key WHERE id = :id")


@dataclass
class Loaded:
    """What one load wrote, for the summary line."""

    users: int = 0
    shows: int = 0
    follows: int = 0
    favorites: int = 0
    reposts: int = 0
    listen_later: int = 0
    listens: int = 0
    comments: int = 0
    playlists: int = 0
    pictures: int = 0

    def summary(self, seconds: float) -> str:
        """The one line ``mixcast demo`` prints."""
        return (
            f"demo loaded: {self.users} users, {self.shows} shows, {self.follows} follows,"
            f" {self.favorites} favorites, {self.reposts} reposts,"
            f" {self.listen_later} listen-later, {self.listens} listens,"
            f" {self.comments} comments, {self.playlists} playlists,"
            f" {self.pictures} pictures in {seconds:.1f} s"
        )


@dataclass(frozen=True)
class _Source:
    """A picture the plan needs: its kind, whose it is (a user or show index) and its maker."""

    kind: str  # profile | profile_cover | extaudio
    owner: int
    now: int
    make: Callable[[], bytes]


PictureIds = dict[tuple[str, int], str]  # (kind, user or show index) -> picture id


def _sources(plan: Plan) -> list[_Source]:
    """Every picture of the plan: users' pictures and covers, then show artwork."""
    sources: list[_Source] = []
    for i, user in enumerate(plan.users):
        if user.picture_seed is not None:
            make = partial(art.profile_picture, user.picture_seed, user.initials)
            sources.append(_Source("profile", i, user.created_at, make))
        if user.cover_seed is not None:
            make = partial(art.profile_cover, user.cover_seed)
            sources.append(_Source("profile_cover", i, user.created_at, make))
    for i, show in enumerate(plan.shows):
        if show.artwork_seed is not None:
            make = partial(art.show_artwork, show.artwork_seed)
            sources.append(_Source("extaudio", i, show.created_at, make))
    return sources


def _render(source: _Source) -> Renditions:
    """Draw one source picture and cut its renditions (Pillow releases the GIL while it works,
    so worker threads use both cores)."""
    return make_renditions(source.make(), source.kind)


async def _store_pictures(
    tx: Connection, store: BlobStore, sources: list[_Source], made: list[Future[Renditions]]
) -> PictureIds:
    """Store each picture as its renditions arrive from the worker threads."""
    ids: PictureIds = {}
    for source, renditions in zip(sources, made, strict=True):
        ids[source.kind, source.owner] = await save_picture(
            tx, store, await asyncio.wrap_future(renditions), source.kind, source.now
        )
    return ids


async def _write_user(
    tx: Connection, user: UserPlan, picture: str | None, cover: str | None
) -> int:
    """Create one planned user, with the pictures already stored for them."""
    return await create_user(
        tx,
        username=user.username,
        display_name=user.display_name,
        now=user.created_at,
        biog=user.biog,
        city=user.city,
        country=user.country,
        is_pro=user.is_pro,
        picture_id=picture,
        cover_picture_id=cover,
    )


async def _write_show(
    tx: Connection, store: BlobStore, show: ShowPlan, owner_id: int, picture: str | None, clip: Clip
) -> int:
    """Create one planned show, ready, with its own copy of its clip as original and stream."""
    new = NewShow(
        owner_id=owner_id,
        name=show.name,
        description=show.description,
        tags=show.tags,
        sections=show.sections,
        audio_length=clip.seconds,
        picture_id=picture,
        visibility=show.visibility,
        status="ready",
    )
    show_id, _ = await create_show(tx, new, show.created_at)
    # Each show gets its own copy: the key holds the id, known only now.
    key = f"shows/{show_id}/original.mp3"
    store.put_bytes(key, clip.data)
    await tx.execute(_SET_BLOBS, {"key": key, "id": show_id})
    return show_id


async def _write_event(
    tx: Connection, event: Event, user_ids: list[int], show_ids: list[int], loaded: Loaded
) -> None:
    """One planned event through the named function for its kind."""
    user_id = None if event.user is None else user_ids[event.user]
    if event.kind == "listen":
        listener = event.listener if user_id is None else f"u:{user_id}"
        show_id = show_ids[event.target]
        await record_listen(tx, show_id, user_id=user_id, listener=listener, now=event.at)
        loaded.listens += 1
        return
    assert user_id is not None, event
    if event.kind == "follow":
        loaded.follows += await follow_user(tx, user_id, user_ids[event.target], event.at)
    elif event.kind == "favorite":
        loaded.favorites += await FAVORITES.add(tx, user_id, show_ids[event.target], event.at)
    elif event.kind == "repost":
        loaded.reposts += await REPOSTS.add(tx, user_id, show_ids[event.target], event.at)
    elif event.kind == "listen_later":
        added = await LISTEN_LATER.add(tx, user_id, show_ids[event.target], event.at)
        loaded.listen_later += added
    elif event.kind == "comment":
        await add_comment(tx, user_id, event.body, event.at, show_id=show_ids[event.target])
        loaded.comments += 1
    elif event.kind == "profile_comment":
        await add_comment(tx, user_id, event.body, event.at, profile_id=user_ids[event.target])
        loaded.comments += 1
    else:
        raise ValueError(f"unknown event kind {event.kind!r}")


async def _write(
    tx: Connection,
    store: BlobStore,
    plan: Plan,
    pictures: PictureIds,
    clips: Future[tuple[Clip, ...]],
) -> Loaded:
    """Users, then shows, then every event, each in plan order (so ids follow time)."""
    loaded = Loaded(users=len(plan.users), shows=len(plan.shows), pictures=len(pictures))
    user_ids = [
        await _write_user(
            tx, user, pictures.get(("profile", i)), pictures.get(("profile_cover", i))
        )
        for i, user in enumerate(plan.users)
    ]
    pool = await asyncio.wrap_future(clips)
    show_ids = [
        await _write_show(
            tx, store, show, user_ids[show.owner], pictures.get(("extaudio", i)), pool[show.clip]
        )
        for i, show in enumerate(plan.shows)
    ]
    for event in plan.events:
        await _write_event(tx, event, user_ids, show_ids, loaded)
    await _write_playlists(tx, plan, user_ids, show_ids, loaded)
    return loaded


# Spartacus's playlists: (name, every how many-th public show, from which one), 8 shows each.
PLAYLISTS = (("Warm-up selection", 11, 0), ("Late night favourites", 7, 3))


async def _write_playlists(
    tx: Connection, plan: Plan, user_ids: list[int], show_ids: list[int], loaded: Loaded
) -> None:
    """A couple of playlists for spartacus (the plan's first user), made after every show."""
    public = [i for i, show in enumerate(plan.shows) if show.visibility == "public"]
    for n, (name, step, start) in enumerate(PLAYLISTS):
        made = BASE - (len(PLAYLISTS) - n) * DAY
        playlist_id, _ = await create_playlist(tx, user_ids[0], name, made)
        for i in public[start::step][:8]:
            await add_to_playlist(tx, playlist_id, show_ids[i], made)
        loaded.playlists += 1


@cache
def _clips(seed: int) -> tuple[Clip, ...]:
    """The audio pool, made once per process (tests load the demo more than once)."""
    return tuple(make_pool(seed))


async def load_into(services: Services, *, with_pictures: bool = True) -> str:
    """Load the demo with already-open services; return the summary line.

    ``with_pictures=False`` leaves every picture out (the default ones show instead) and skips
    nearly all of the CPU work; everything else is written the same. Tests use it.
    """
    started = time.perf_counter()
    if await get_user(services.db, SPARTACUS) is not None:
        return ALREADY_LOADED
    plan = make_plan()
    sources = _sources(plan) if with_pictures else []
    # Worker threads draw the pictures and cut their renditions (needed first, so queued
    # first), then make the audio, needed only once every picture is stored; the event loop
    # only writes files and rows.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-media") as pool:
        pngs = [pool.submit(_render, source) for source in sources]
        clips = pool.submit(_clips, AUDIO_SEED)
        try:
            async with services.db.transaction() as tx:
                # Checked again inside the write transaction: another load may have won.
                if await get_user(tx, SPARTACUS) is not None:
                    return ALREADY_LOADED
                pictures = await _store_pictures(tx, services.store, sources, pngs)
                loaded = await _write(tx, services.store, plan, pictures, clips)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # after a failure: drop queued work
    # Rank as of the demo's own clock, so /popular/ and /popular/hot/ have items at once (the
    # last month of the plan holds plenty of plays). Deterministic: the clock is fixed.
    await refresh_scores(services.db, BASE)
    return loaded.summary(time.perf_counter() - started)


async def load_demo(settings: Settings) -> str:
    """Load the demo data into the configured database and storage (see the module doc)."""
    services = await open_services(settings)
    try:
        return await load_into(services)
    finally:
        await services.close()
