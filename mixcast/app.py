"""``create_app(settings)``: the one ASGI app that serves both public base URLs.

``MIXCAST_SITE_URL`` and ``MIXCAST_API_URL`` may share a host (``http://localhost:8000`` and
``http://localhost:8000/api``) or not (``https://www.example.com`` and
``https://api.example.com``). A request goes to the API when its path is under the API's prefix
and, if the two bases have different hosts, its Host is the API's; everything else goes to the
site. The matched prefix becomes ``root_path``, so links built from a request keep it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import anyio
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from mixcast.api.app import ApiApp
from mixcast.jobs.periodic import Periodic
from mixcast.logs import install_redaction
from mixcast.proxies import TrustedProxies
from mixcast.ranking.job import refresh_now
from mixcast.services import Services, open_services
from mixcast.settings import BaseURL, Settings
from mixcast.web.app import SiteApp
from mixcast.worker import start_jobs

log = logging.getLogger("mixcast")
NOT_CONFIGURED = PlainTextResponse("Not Found", 404)


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return bytes(value).decode("latin-1").lower()
    return ""


_DEFAULT_PORT = {"http": "80", "https": "443"}


def _same_host(host: str, base: BaseURL) -> bool:
    """``api.example.com:443`` is ``api.example.com`` when the base is https."""
    if host == base.host:
        return True
    name, _, port = host.rpartition(":")
    return bool(name) and port == _DEFAULT_PORT[base.scheme] and name == base.host


class MixcastApp:
    """Dispatches on host and path prefix to the API or the site; owns the lifespan."""

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.settings = settings
        self.services = services
        self._owns_services = services is None
        self.proxies = TrustedProxies(settings.trusted_proxies)
        self.api: ApiApp | None = None
        self.site: SiteApp | None = None
        if services is not None:
            self._build(services)

    def _build(self, services: Services) -> None:
        self.api = ApiApp(services)
        documented = [route for route in self.api.table if route.documented]
        self.site = SiteApp(services, documented)

    def _route(self, scope: Scope) -> tuple[Any, BaseURL] | None:
        api, site = self.settings.api_url, self.settings.site_url
        path = scope["path"]
        if api.host != site.host:
            if _same_host(_host(scope), api) and _under(path, api.prefix):
                return self.api, api
            return self.site, site
        # Same host: the longer matching prefix wins (the API's is usually /api).
        if api.prefix and _under(path, api.prefix):
            return self.api, api
        if _under(path, site.prefix):
            return self.site, site
        return None  # under neither base: nobody configured this address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self.services is None:  # served without a lifespan (some test clients)
            self.services = await open_services(self.settings)
            self._build(self.services)
        scope = self.proxies.apply(scope)
        routed = self._route(scope)
        if routed is None:
            await NOT_CONFIGURED(scope, receive, send)
            return
        app, base = routed
        if base.prefix:
            scope = {**scope, "root_path": scope.get("root_path", "") + base.prefix}
        await app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        ranker: Periodic | None = None
        consumer: Any = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.services is None:
                        self.services = await open_services(self.settings)
                        self._build(self.services)
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                assert self.services is not None
                if self.settings.rank_interval > 0:  # docs/ranking.md
                    job = partial(refresh_now, self.services.db)
                    ranker = Periodic("ranking", self.settings.rank_interval, job).start()
                consumer = start_jobs(self.services)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if ranker is not None:
                    await ranker.stop()
                if consumer is not None:  # a job in progress finishes, or is re-sent later
                    await anyio.to_thread.run_sync(partial(consumer.stop, graceful=True))
                if self.services is not None and self._owns_services:
                    await self.services.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(settings: Settings | None = None) -> MixcastApp:
    """The factory uvicorn calls, after it has configured logging: redact from here on."""
    install_redaction()
    return MixcastApp(settings or Settings.from_env())
