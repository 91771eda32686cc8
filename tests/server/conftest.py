"""Session fixtures: the tiny synthetic datastack, our service over it on 127.0.0.1:0, and clients.

The real caveclient talks to the real server; the local ``MaterializationClient`` on the same
mirror is the reference every answer is compared with. HOME points at a temporary directory so
caveclient never reads or writes the user's ``~/.cloudvolume``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from caveclient import CAVEclient

from engine.materialize import MaterializationClient
from engine.server import make_app
from engine.server.background import BackgroundServer
from engine.synth import connectome

DATASTACK = "synthetic"
TOKEN = "lab-token-1"
CAP = 700  # a "200k-style" row cap, scaled to the tiny datastack


@pytest.fixture(scope="session")
def mirror_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror root with the generated ``synthetic`` datastack (tiny preset, seed 0)."""
    root = tmp_path_factory.mktemp("mirror")
    connectome.write(root, DATASTACK, size="tiny", seed=0)
    return root


@pytest.fixture(scope="session")
def cave_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """HOME for caveclient (its secrets and server-address cache live under ``~/.cloudvolume``)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def start_server(mirror_root: Path) -> Iterator[Callable[..., BackgroundServer]]:
    """``start_server(**options)``: our service over ``mirror_root`` (options: ``make_app``'s), stopped at the end."""
    running: list[BackgroundServer] = []

    def start(*, middlewares: tuple = (), **options: object) -> BackgroundServer:
        app = make_app(mirror_root, **options)
        app.middlewares.extend(middlewares)
        running.append(BackgroundServer(app))
        return running[-1]

    yield start
    for server in running:
        server.close()


@pytest.fixture(scope="session")
def server(start_server: Callable[..., BackgroundServer]) -> BackgroundServer:
    """The open service with no row cap (our defaults)."""
    return start_server()


@pytest.fixture(scope="session")
def capped_server(start_server: Callable[..., BackgroundServer]) -> BackgroundServer:
    """The service with a reference-style row cap of ``CAP`` rows."""
    return start_server(row_limit=CAP)


@pytest.fixture(scope="session")
def local(mirror_root: Path) -> Iterator[MaterializationClient]:
    """The local client on the same mirror: what every HTTP answer must equal."""
    with MaterializationClient(mirror_root, DATASTACK) as client:
        yield client


def cave_client(url: str, token: str = "x", **kwargs: object) -> CAVEclient:
    """The real caveclient pointed at ``url`` (no server-address cache written)."""
    return CAVEclient(DATASTACK, server_address=url, auth_token=token, write_server_cache=False, **kwargs)


@pytest.fixture(scope="session")
def cave(server: BackgroundServer, cave_home: Path) -> CAVEclient:
    return cave_client(server.url)


@pytest.fixture(scope="session")
def http(server: BackgroundServer) -> Iterator[requests.Session]:
    """A plain HTTP session for raw protocol checks."""
    with requests.Session() as session:
        yield session
