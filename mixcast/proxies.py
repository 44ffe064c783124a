"""Requests that came through a trusted reverse proxy: believe its ``X-Forwarded-Proto`` (so
``https`` is known behind a TLS-terminating proxy) and ``X-Forwarded-For`` (the client's
address, for throttles and rate limits). From anyone else these headers are ignored: a client
could otherwise claim https or any address it likes.

The one place this happens (uvicorn's own proxy-header handling is off): tests, uvicorn and any
other ASGI server see the same behaviour, configured by ``MIXCAST_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.types import Scope

from mixcast.settings import Network

_SCHEMES = frozenset({"http", "https"})


def client_address(scope: Scope) -> str:
    """The client's address, once ``TrustedProxies.apply`` has believed (or not) the proxy."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class TrustedProxies:
    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks
        self.trusts = lru_cache(maxsize=1024)(self._trusts)

    def _trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def apply(self, scope: Scope) -> Scope:
        """``scope`` with the scheme and client a trusted proxy reported (a copy), or as it is."""
        client = scope.get("client")
        if not self.networks or not client or not self.trusts(client[0]):
            return scope
        proto = forwarded_for = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-proto":
                proto = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
        if proto is None and forwarded_for is None:
            return scope
        scope = dict(scope)
        if proto is not None:
            # A chain of proxies appends; the last entry is what the proxy next to us saw.
            scheme = proto.rsplit(",", 1)[-1].strip().lower()
            if scheme in _SCHEMES:
                scope["scheme"] = scheme
        if forwarded_for is not None:
            scope["client"] = (self._client(forwarded_for, client[0]), 0)
        return scope

    def _client(self, forwarded_for: str, peer: str) -> str:
        """The nearest address in the chain that is not one of our proxies."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer
