"""One Settings object, read from the environment once.

Every backend is one URL with an embedded default, parsed in exactly one factory (see
``db.database.connect``, ``storage.open_store``). Nothing else reads the environment, but for
one switch that must be read before PyAV is imported: ``MIXCAST_LAME`` (``media.audio``).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mixcast.errors import ConfigError
from mixcast.uploads.limits import MAX_MP3


@dataclass(frozen=True)
class BaseURL:
    """A public base URL: scheme, host (with port) and an optional path prefix (no trailing /)."""

    scheme: str
    host: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> BaseURL:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"not an http(s) base URL: {url!r}")
        if parts.query or parts.fragment:
            raise ConfigError(f"a base URL takes no query or fragment: {url!r}")
        return cls(parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"))

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}{self.prefix}"

    def join(self, key: str) -> str:
        """The absolute URL of ``key`` (a path starting with /) under this base."""
        return f"{self.scheme}://{self.host}{self.prefix}{key}"


def _seconds(env: dict[str, str], name: str, default: int, what: str = "seconds") -> int:
    """A whole number (of seconds, unless ``what`` says otherwise), 0 or more."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit():
        raise ConfigError(f"{name} must be a whole number of {what} (0 or more): {text!r}")
    return int(text)


def _job_lease(env: dict[str, str]) -> int:
    value = _seconds(env, "MIXCAST_JOB_LEASE", 60)
    if value < 1:
        raise ConfigError("MIXCAST_JOB_LEASE must be a whole number of seconds, 1 or more")
    return value


def _bytes(env: dict[str, str], name: str, default: int) -> int:
    """A size in bytes, 1 or more, at most ``default`` (an operator may lower a limit)."""
    value = _seconds(env, name, default, "bytes")
    if not 0 < value <= default:
        raise ConfigError(f"{name} must be a number of bytes from 1 to {default}")
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(env: dict[str, str], name: str, default: str) -> tuple[Network, ...]:
    """Addresses or CIDR blocks, separated by commas or spaces."""
    text = env.get(name, default)
    try:
        parts = text.replace(",", " ").split()
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def _limit(env: dict[str, str], name: str, default: str, *, may_be_off: bool = False) -> str:
    from limits import parse_many

    text = env.get(name, "").strip() or default
    if may_be_off and text == "off":
        return text
    try:
        parse_many(text)
    except ValueError:
        raise ConfigError(f"{name} must be a rate such as 10/minute: {text!r}") from None
    return text


_APPLE_APP_ID = re.compile(r"[A-Z0-9]{10}\.[A-Za-z0-9][A-Za-z0-9.-]*\Z")
_ANDROID_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+\Z")
_SHA256_FINGERPRINT = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){31}\Z")


@dataclass(frozen=True)
class AndroidApp:
    """An Android app that may open the site's links: its package and the SHA-256
    fingerprints of the certificates it is signed with."""

    package: str
    fingerprints: tuple[str, ...]


def _listed(env: dict[str, str], name: str) -> list[str]:
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _apple_app_ids(env: dict[str, str], name: str) -> tuple[str, ...]:
    """``TEAMID.bundle.id`` entries (the Team ID is 10 capitals or digits), comma-separated."""
    ids = _listed(env, name)
    for app_id in ids:
        if not _APPLE_APP_ID.match(app_id):
            raise ConfigError(f"{name} takes TEAMID.bundle.id entries: {app_id!r}")
    return tuple(dict.fromkeys(ids))


def _android_apps(env: dict[str, str], name: str) -> tuple[AndroidApp, ...]:
    """``package.name@AA:BB:…`` entries (a SHA-256 certificate fingerprint, 32 hex pairs),
    comma-separated; a package named twice gathers both fingerprints (a key rotation)."""
    apps: dict[str, list[str]] = {}
    for entry in _listed(env, name):
        package, _, fingerprint = (part.strip() for part in entry.partition("@"))
        fingerprint = fingerprint.upper()
        if not (_ANDROID_PACKAGE.match(package) and _SHA256_FINGERPRINT.match(fingerprint)):
            raise ConfigError(
                f"{name} takes package.name@AA:BB:… entries (a SHA-256 fingerprint): {entry!r}"
            )
        prints = apps.setdefault(package, [])
        if fingerprint not in prints:
            prints.append(fingerprint)
    return tuple(AndroidApp(package, tuple(prints)) for package, prints in apps.items())


# Rate limits per kind of API action (ratelimit/policy.py); "off" turns one off.
DEFAULT_RATE_LIMITS = {
    "read": "600/minute",
    "write": "60/minute",
    "upload": "20/hour",
    "oauth": "30/minute",
}

MAX_AUDIO_BYTES = MAX_MP3  # api-docs.md "Uploads": the mp3 field's limit, or lower

DEFAULT_SITE_URL = "http://localhost:8000"
DEFAULT_API_URL = "http://localhost:8000/api"


@dataclass(frozen=True)
class Settings:
    site_url: BaseURL = field(default_factory=lambda: BaseURL.parse(DEFAULT_SITE_URL))
    api_url: BaseURL = field(default_factory=lambda: BaseURL.parse(DEFAULT_API_URL))
    data_dir: Path = field(default_factory=lambda: Path("var").resolve())
    database_url: str = ""
    storage_url: str = ""
    site_name: str = "mixcast"
    # Seconds between in-process ranking refreshes (docs/ranking.md); 0: none in this process
    # (scale mode runs `mixcast rank --every N` once, on its own).
    rank_interval: int = 300
    # Proxies whose X-Forwarded-Proto and X-Forwarded-For are believed (docs/oauth.md).
    trusted_proxies: tuple[Network, ...] = field(
        default_factory=lambda: _networks({}, "", "127.0.0.1 ::1")
    )
    ratelimit_url: str = ""  # memory:// (one process) or redis://… (shared); see ratelimit/
    signin_limit: str = "10/minute"  # sign-in attempts per client address and per login
    rate_limits: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    # The job queue (jobs/queue.py): sqlite:///file (default, under data_dir) or redis://…
    queue_url: str = ""
    # Job consumer threads started inside each server process; 0 when `mixcast worker` runs
    # the jobs in processes of its own (scale mode).
    job_workers: int = 1
    # Seconds a job's claim on a show lasts; a running job renews it every quarter of that, so
    # a dead worker's show is taken over this long after it died (uploads/pipeline.py).
    job_lease: int = 60
    max_audio_bytes: int = MAX_AUDIO_BYTES  # an upload's audio file, at most
    # Deep links (/.well-known/): the iOS and Android apps that may open the site's URLs.
    apple_app_ids: tuple[str, ...] = ()
    android_apps: tuple[AndroidApp, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("MIXCAST_DATA_DIR", "var")).resolve()
        return cls(
            site_url=BaseURL.parse(env.get("MIXCAST_SITE_URL", DEFAULT_SITE_URL)),
            api_url=BaseURL.parse(env.get("MIXCAST_API_URL", DEFAULT_API_URL)),
            data_dir=data_dir,
            database_url=env.get("MIXCAST_DATABASE_URL", ""),
            storage_url=env.get("MIXCAST_STORAGE_URL", ""),
            site_name=env.get("MIXCAST_SITE_NAME", "mixcast"),
            rank_interval=_seconds(env, "MIXCAST_RANK_INTERVAL", 300),
            trusted_proxies=_networks(env, "MIXCAST_TRUSTED_PROXIES", "127.0.0.1 ::1"),
            ratelimit_url=env.get("MIXCAST_RATELIMIT_URL", ""),
            signin_limit=_limit(env, "MIXCAST_SIGNIN_LIMIT", "10/minute"),
            rate_limits={
                kind: _limit(env, f"MIXCAST_RATELIMIT_{kind.upper()}", rate, may_be_off=True)
                for kind, rate in DEFAULT_RATE_LIMITS.items()
            },
            queue_url=env.get("MIXCAST_QUEUE_URL", ""),
            job_workers=_seconds(env, "MIXCAST_JOB_WORKERS", 1, "threads"),
            job_lease=_job_lease(env),
            max_audio_bytes=_bytes(env, "MIXCAST_MAX_AUDIO_BYTES", MAX_AUDIO_BYTES),
            apple_app_ids=_apple_app_ids(env, "MIXCAST_APPLE_APP_IDS"),
            android_apps=_android_apps(env, "MIXCAST_ANDROID_APPS"),
        )

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mixcast.db'}"

    @property
    def effective_storage_url(self) -> str:
        return self.storage_url or f"file://{self.data_dir / 'media'}"

    @property
    def effective_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir / 'jobs.db'}"

    @property
    def tmp_dir(self) -> Path:
        """This machine's scratch space, never shared: upload bodies as they stream in
        (``uploads/``) and the pipeline's work (``jobs/``)."""
        return self.data_dir / "tmp"
