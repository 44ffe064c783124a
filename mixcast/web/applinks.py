"""The app-link files that let the iOS and Android apps open the site's URLs (deep links).

A show's and a user's page sit at the API's keys (``/<user>/<slug>/``, ``/<user>/``), so every
path is one an app can open: both files claim all paths (``*``) for the configured apps.
``/.well-known/apple-app-site-association`` (``MIXCAST_APPLE_APP_IDS``) and
``/.well-known/assetlinks.json`` (``MIXCAST_ANDROID_APPS``) are served as JSON, never
redirected (Apple and Google fetch them without following redirects); 404 when not configured.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mixcast.settings import AndroidApp
from mixcast.web.pages import Pages

APPLE_PATH = "/.well-known/apple-app-site-association"
ANDROID_PATH = "/.well-known/assetlinks.json"
# The files change only with the configuration: an hour of caching spares the apps' fetchers.
HEADERS = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}


def apple_association(app_ids: tuple[str, ...]) -> dict[str, Any]:
    """The apple-app-site-association document: each app (``TEAMID.bundle.id``) opens every
    path."""
    return {"applinks": {"apps": [], "details": [{"appID": i, "paths": ["*"]} for i in app_ids]}}


def asset_links(apps: tuple[AndroidApp, ...]) -> list[dict[str, Any]]:
    """The Digital Asset Links statements: each app handles all of the site's URLs."""
    return [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": app.package,
                "sha256_cert_fingerprints": list(app.fingerprints),
            },
        }
        for app in apps
    ]


class AppLinks:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        settings = pages.settings
        self.apple = orjson.dumps(apple_association(settings.apple_app_ids))
        self.android = orjson.dumps(asset_links(settings.android_apps))
        self.has_apple = bool(settings.apple_app_ids)
        self.has_android = bool(settings.android_apps)

    def routes(self) -> list[Route]:
        return [
            Route(APPLE_PATH, self.apple_file, methods=["GET"]),
            Route(ANDROID_PATH, self.android_file, methods=["GET"]),
        ]

    def _file(self, body: bytes, configured: bool) -> Response:
        if not configured:
            return self.pages.error(None, 404, "There is nothing here.")
        return Response(body, media_type="application/json", headers=HEADERS)

    async def apple_file(self, request: Request) -> Response:
        return self._file(self.apple, self.has_apple)

    async def android_file(self, request: Request) -> Response:
        return self._file(self.android, self.has_android)
