"""Rate limits and throttles on the ``limits`` library: in-memory storage by default, Redis when
``MIXCAST_RATELIMIT_URL=redis://…`` is set, so every process of a deployment shares one count."""

from mixcast.ratelimit.policy import RateLimiter, Verdict
from mixcast.ratelimit.storage import open_limits_storage
from mixcast.ratelimit.throttle import Throttle

__all__ = ["RateLimiter", "Throttle", "Verdict", "open_limits_storage"]
