"""Real ``mixcast serve`` processes for the tests that need a real port: the command as an
operator runs it, the site and API on a free loopback port, stopped at the end.

``serving(env)`` yields the base URL and a ``Served`` whose ``.output`` holds everything the
process printed once it has stopped; a traceback in it fails the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Served:
    base: str
    output: str = ""
    process: subprocess.Popen[bytes] | None = None  # to kill it mid-request, as a crash would


@contextmanager
def serving(env: dict[str, str], *serve_args: str) -> Iterator[Served]:
    """``python -m mixcast serve`` with ``env`` over ``os.environ``; the base URLs point at
    the chosen port and the in-process ranker is off unless ``env`` says otherwise."""
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}")
    full_env = {
        **os.environ,
        "MIXCAST_SITE_URL": served.base,
        "MIXCAST_API_URL": served.base + "/api",
        "MIXCAST_RANK_INTERVAL": "0",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mixcast", "serve", "--port", str(port), *serve_args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served.process = process
    try:
        _wait_until_up(served.base, process)
        yield served
    finally:
        process.terminate()
        served.output = process.communicate(timeout=10)[0].decode()
    assert "Traceback" not in served.output, served.output


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        try:
            httpx.get(base + "/developers/", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    output = process.communicate(timeout=10)[0].decode()
    pytest.fail("the server did not start:\n" + output)


@dataclass
class Worker:
    """A ``mixcast worker`` process; ``.output`` holds what it printed once it has stopped."""

    process: subprocess.Popen[bytes]
    output: str = ""


@contextmanager
def working(env: dict[str, str], *worker_args: str) -> Iterator[Worker]:
    """``python -m mixcast worker`` with ``env`` over ``os.environ``, stopped (SIGTERM, as a
    supervisor stops it) at the end unless the test killed it first."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mixcast", "worker", *worker_args],
        env={**os.environ, "MIXCAST_RANK_INTERVAL": "0", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    worker = Worker(process)
    try:
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            worker.output = process.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            worker.output = process.communicate(timeout=10)[0].decode()
