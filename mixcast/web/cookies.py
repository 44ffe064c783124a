"""The site's cookies: the session and the CSRF token, named and flagged by the site's scheme.

Under https both take the ``__Host-`` prefix, which browsers accept only with Secure, Path=/ and
no Domain: no sibling subdomain can plant or overwrite them. Plain http (a laptop, the tests)
cannot use the prefix, so the bare names are used there.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from mixcast.settings import BaseURL


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool

    @property
    def prefix(self) -> str:
        return "__Host-" if self.secure else ""

    @property
    def session(self) -> str:
        return self.prefix + "mixcast_session"

    @property
    def csrf(self) -> str:
        return self.prefix + "mixcast_csrf"

    def set(self, response: Response, name: str, value: str, max_age: int) -> None:
        # HttpOnly: no script needs either value (forms carry the CSRF token in the page).
        # SameSite=Lax: sent on top-level navigations from other sites (links into the site
        # keep the visitor signed in) but not on their cross-site POSTs.
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="lax")


def cookie_policy(site_url: BaseURL) -> CookiePolicy:
    return CookiePolicy(secure=site_url.scheme == "https")
