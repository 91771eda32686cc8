"""Service behaviour: row caps and their Warning, headers, 50 concurrent clients, auth, graceful shutdown, CLI."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import threading
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from aiohttp import web

from engine.errors import BadInputError
from engine.materialize import MaterializationClient
from engine.server import load_tokens
from engine.server.cli import register

from .compare import assert_same_frame
from .conftest import CAP, DATASTACK, TOKEN, cave_client

QUERY = f"/materialize/api/v3/datastack/{DATASTACK}/version/5/table/synapses/query"
ARGS = {"return_pyarrow": "True", "arrow_format": "True", "split_positions": "True", "direct_sql_pandas": "True"}


def post(url: str, body: dict, session: requests.Session | None = None, **headers: str) -> requests.Response:
    return (session or requests).post(url + QUERY, params=ARGS, json=body, headers=headers, timeout=60)


def rows(response: requests.Response) -> pa.Table:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "data.arrow"
    with pa.ipc.open_stream(response.content) as reader:
        return reader.read_all()


def test_no_cap_by_default(server, local: MaterializationClient) -> None:
    answer = post(server.url, {}, **{"Accept-Encoding": "zstd"})
    assert rows(answer).num_rows == local.get_annotation_count("synapses") > CAP
    assert "Warning" not in answer.headers
    assert answer.headers["dataframe_resolution"] == "4.0, 4.0, 40.0"


def test_reference_cap_and_its_warning(capped_server, cave_home, caplog: pytest.LogCaptureFixture) -> None:
    capped = post(capped_server.url, {})
    assert rows(capped).num_rows == CAP
    assert capped.headers["Warning"] == f'201 - "Limited query to {CAP} rows'
    below = post(capped_server.url, {"limit": 10})
    assert rows(below).num_rows == 10 and "Warning" not in below.headers
    client = cave_client(capped_server.url)
    with caplog.at_level(logging.WARNING, logger="caveclient"):
        assert len(client.materialize.query_table("synapses")) == CAP
    assert f"Limited query to {CAP} rows" in caplog.text
    assert client.materialize.query_table("synapses", get_counts=True)["count"][0] > CAP  # counts are never capped


def test_notices_and_compression(server) -> None:
    body = {"filter_equal_dict": {"cell_types": {"cell_type": "BC"}}}
    url = server.url + QUERY.replace("synapses", "cell_types")
    plain = requests.post(url, params=ARGS, json=body, headers={"Accept-Encoding": "identity"}, timeout=60)
    packed = requests.post(url, params=ARGS, json=body, headers={"Accept-Encoding": "zstd"}, timeout=60)
    assert plain.headers["Warning"].startswith("Table Owner Notice on cell_types: Synthetic labels")
    assert "Content-Encoding" not in packed.headers  # Arrow buffer compression, not HTTP compression
    assert rows(plain).equals(rows(packed))


def test_fifty_concurrent_clients(server, cave_home, local: MaterializationClient) -> None:
    """50 caveclient users at once, each running a synapse and a cell-type query; all answers exact."""
    syn = local.query_table("synapses", split_positions=True)
    roots = [int(r) for r in syn.pre_pt_root_id.unique() if r != 0][:10]
    start = threading.Barrier(50)

    def user(k: int) -> None:
        client = cave_client(server.url)
        start.wait()
        pre = roots[k % len(roots)]
        assert_same_frame(client.materialize.synapse_query(pre_ids=pre, split_positions=True),
                          local.synapse_query(pre_ids=pre, split_positions=True))
        assert len(client.materialize.query_table("cell_types", filter_equal_dict={"cell_type": "23P"})) > 0

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        for future in [pool.submit(user, k) for k in range(50)]:
            future.result()


def test_tokens(start_server, cave_home) -> None:
    locked = start_server(tokens={TOKEN})
    denied = post(locked.url, {"limit": 1})
    assert denied.status_code == 401 and "token" in denied.json()["message"]
    assert post(locked.url, {"limit": 1}, Authorization="Bearer wrong").status_code == 401
    assert rows(post(locked.url, {"limit": 1}, Authorization=f"Bearer {TOKEN}")).num_rows == 1
    with requests.Session() as session:
        session.cookies.set("middle_auth_token", TOKEN)
        assert rows(post(locked.url, {"limit": 1}, session)).num_rows == 1
    assert len(cave_client(locked.url, token=TOKEN).materialize.query_table("synapses", limit=3)) == 3


def test_load_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGINE_SERVER_TOKENS", raising=False)
    assert load_tokens(None) is None
    path = tmp_path / "tokens"
    path.write_text("# lab tokens\nalpha\n\nbeta  # the second\n")
    monkeypatch.setenv("ENGINE_SERVER_TOKENS", "gamma, delta")
    assert load_tokens(path) == {"alpha", "beta", "gamma", "delta"}
    path.write_text("# nothing\n")
    with pytest.raises(BadInputError, match="no tokens"):
        load_tokens(path)


def test_graceful_shutdown_finishes_the_request_in_flight(start_server) -> None:
    started = threading.Event()

    @web.middleware
    async def slow(request: web.Request, handler):
        started.set()
        await asyncio.sleep(0.3)  # keeps the request in flight while close() begins
        return await handler(request)

    server = start_server(middlewares=(slow,))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(post, server.url, {"limit": 5})
        started.wait(timeout=30)
        server.close()
        assert rows(pending.result()).num_rows == 5
    with pytest.raises(requests.ConnectionError):
        post(server.url, {"limit": 5})


def test_cli_registers_serve_and_mirror_cave(mirror_root: Path) -> None:
    parser = argparse.ArgumentParser(prog="engine")
    register(parser.add_subparsers())
    serve = parser.parse_args(["serve", "--mirror", str(mirror_root), "--reference-row-limit", "--port", "0"])
    assert serve.mirror == mirror_root and serve.reference_row_limit and serve.port == 0
    mirror = parser.parse_args(["mirror-cave", "http://127.0.0.1:1", DATASTACK, "dest", "--version", "4", "5",
                                "--tables", "synapses"])
    assert mirror.versions == [4, 5] and mirror.tables == ["synapses"]
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--mirror", str(mirror_root), "--row-limit", "5", "--reference-row-limit"])
