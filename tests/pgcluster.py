"""A private PostgreSQL cluster for tests that stop and start the database server itself, so
the machine's shared server (which other tests use) is never touched.

``with private_cluster() as pg:`` runs ``initdb`` in a scratch folder and starts the server on a
free loopback port; ``pg.stop(mode)`` and ``pg.start()`` restart it on the same port, and
``pg.create_database(name)`` returns a URL for mixcast. As root, the server runs as the
``postgres`` user (initdb and postgres refuse to run as root). No binaries: the test is skipped
(and CI counts skips as failures).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port

# Debian's server binaries, newest version first (initdb and pg_ctl are not on the PATH).
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    default=Path("/usr/lib/postgresql/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
)


@dataclass(frozen=True)
class Cluster:
    root: Path
    port: int

    def _run(self, program: str, *args: str) -> None:
        command = [str(PG_BIN / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=60, check=False)
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            pytest.fail(f"{program} {' '.join(args)} failed:\n{done.stderr.decode()}\n{log}")

    def start(self) -> None:
        """Start the server (again) on its port; returns once it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.root / "data"),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: clients are disconnected, as on a restart; ``immediate``: as on a crash."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            f'CREATE DATABASE "{name}"',
        )
        return self.url(name)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries are not in {PG_BIN}")
    # Not under pytest's tmp_path: its folders are private to root, and the server runs as
    # postgres.
    root = Path(tempfile.mkdtemp(prefix="mixcast-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = Cluster(root, free_port())
    try:
        cluster._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-N")
        cluster.start()
        yield cluster
    finally:
        if (root / "data" / "postmaster.pid").exists():
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
