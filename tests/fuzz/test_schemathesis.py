"""Schemathesis against the API's own OpenAPI document (issue 8): every documented operation
gets generated requests, without a token and with one, and every answer must be no 5xx and
match the document (status code, content type, headers and body).

The document is the one the site publishes (``/developers/openapi.json``); the requests go to
the app in-process (``httpx.ASGITransport``) on one seeded database. Path parameters are
sometimes swapped for seeded objects so the 200 answers are checked too, not only the 404s.
Generation is derandomized, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mixcast.app import MixcastApp
from mixcast.services import Services
from mixcast.shows.playlists import add_to_playlist, create_playlist
from mixcast.shows.shows import Section
from tests.api.readonly import readonly_services
from tests.factories import T0, make_show, make_token, make_user

pytestmark = pytest.mark.integration

# Cases per operation, per mode (positive and negative data) and per token state: with the
# document's operations this is well over the 1,000 cases in total.
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Seeded values for the path parameters, chosen instead of generated ones half of the time.
REAL = {
    "user": ["spartacus", "crixus", "SPARTACUS"],
    "show": ["party-time", "talk"],
    "tag": ["funk", "city:london", "funk+soul"],
    "playlist": ["favourites"],
}


@dataclass
class Target:
    """The seeded app, the loop its services live on, its document and a token."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    schema: Any
    token: str

    def send(self, case: Any, token: str | None) -> httpx.Response:
        """``case`` as schemathesis serializes it for ``requests`` (so multipart bodies come
        out as it means them), sent in-process with or without the bearer ``token``."""
        kwargs = case.as_transport_kwargs(base_url="http://testserver/api")
        kwargs.pop("cookies", None)
        # The token state is ours: drop a generated access_token (the query security scheme).
        if kwargs.get("params"):
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if k != "access_token"}
        headers = dict(kwargs.pop("headers", None) or {})
        headers.pop("Authorization", None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        fields = ("method", "url", "params", "data", "files", "json")
        prepared = requests.Request(
            headers=headers, **{k: v for k, v in kwargs.items() if k in fields}
        ).prepare()
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        request = self.client.request(
            str(prepared.method), str(prepared.url), headers=dict(prepared.headers), content=body
        )
        return self.loop.run_until_complete(request)


async def seed(services: Services) -> str:
    uid = await make_user(services, "spartacus", city="London", biog="Hi")
    await make_show(
        services,
        uid,
        "Party Time",
        tags=["Funk", "Soul"],
        description="A party.",
        sections=[Section(artist="A", song="B", start_time=0), Section(chapter="Outro")],
    )
    talk, _ = await make_show(services, uid, "Talk", tags=["City:London"])
    async with services.db.transaction() as tx:
        playlist, _ = await create_playlist(tx, uid, "Favourites", T0)
        await add_to_playlist(tx, playlist, talk, T0)
    return await make_token(services, await make_user(services, "crixus"))


@pytest.fixture(scope="module")
def target(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One seeded database and app for the module, driven from a loop of its own (hypothesis
    tests are synchronous)."""
    loop = asyncio.new_event_loop()
    data_dir = tmp_path_factory.mktemp("fuzz")
    token: list[str] = []

    async def seeding(services: Services) -> None:
        token.append(await seed(services))

    opened = readonly_services(template_db, media_dir, data_dir, seeding)
    services = loop.run_until_complete(opened.__aenter__())
    app = MixcastApp(services.settings, services)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    try:
        doc = loop.run_until_complete(client.get("/developers/openapi.json")).json()
        yield Target(loop, client, schemathesis.openapi.from_dict(doc), token[0])
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(opened.__aexit__(None, None, None))
        loop.close()


def test_every_operation_answers_as_documented(target: Target) -> None:
    operations = [result.ok() for result in target.schema.get_all_operations()]
    assert len(operations) >= 20
    counted = {"cases": 0}

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(target, operation, mode, counted)
    print(f"schemathesis: {counted} over {len(operations)} operations")
    assert counted["cases"] >= 1000
    assert counted.get("200", 0) >= 100  # the seeded objects were reached, not only 404s


def _fuzz(target: Target, operation: Any, mode: GenerationMode, counted: dict[str, int]) -> None:
    """``EXAMPLES`` cases of ``operation``, each sent without a token and with one."""
    names = [p.name for p in operation.path_parameters]
    real = st.fixed_dictionaries({n: st.sampled_from(REAL.get(n, ["spartacus"])) for n in names})

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), swap=st.booleans(), path=real)
    def run(case: Any, swap: bool, path: dict[str, str]) -> None:
        if swap and mode is GenerationMode.POSITIVE:
            case.path_parameters = {**(case.path_parameters or {}), **path}
        for token in (None, target.token):
            response = target.send(case, token)
            case.validate_response(response, checks=CHECKS)
            counted["cases"] += 1
            counted[str(response.status_code)] = counted.get(str(response.status_code), 0) + 1

    run()
