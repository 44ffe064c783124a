"""The one place a database URL is understood.

``MIXCAST_DATABASE_URL`` is ``sqlite:///path/to/file.db`` or ``postgresql://user@host:port/db``.
SQLAlchemy (migrations, bulk loads) and the plain drivers (hot reads) want different spellings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mixcast.errors import ConfigError


@dataclass(frozen=True)
class DatabaseURL:
    dialect: str  # "sqlite" | "postgresql"
    raw: str

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        scheme = urlsplit(url).scheme.split("+", 1)[0]
        if scheme == "postgres":
            scheme = "postgresql"
        if scheme not in ("sqlite", "postgresql"):
            raise ConfigError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
        return cls(scheme, url)

    @property
    def sqlite_path(self) -> Path:
        """The file of a sqlite:/// URL (sqlite:////abs or sqlite:///rel)."""
        return Path(self.raw.split(":///", 1)[1])

    def _with_scheme(self, scheme: str) -> str:
        parts = urlsplit(self.raw)
        return urlunsplit((scheme, *parts[1:]))

    @property
    def sqlalchemy(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return self._with_scheme("postgresql+psycopg")

    @property
    def libpq(self) -> str:
        """The URL asyncpg and psycopg take."""
        return self._with_scheme("postgresql")
