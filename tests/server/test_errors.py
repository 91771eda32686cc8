"""One error shape on every route: ``{"message": ...}`` with a 4xx, never a 500, a redirect or a hang."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
import requests

from engine.server.app import route_table

from .conftest import DATASTACK

V3 = f"/materialize/api/v3/datastack/{DATASTACK}"
QUERY = f"{V3}/version/5/table/synapses/query"
PCG = f"/segmentation/api/v1/table/{DATASTACK}"
FILLS = {"api": "v3", "datastack": DATASTACK, "version": "5", "table": "synapses", "view": "synapses_with_types",
         "table_id": DATASTACK, "schema": "synapse"}


def error_of(response: requests.Response, status: int) -> str:
    """The message of a well-formed error answer with ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    assert not response.history  # never a redirect
    body = response.json()
    assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"]
    return body["message"]


def routes(server_app_routes: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(m, p) for m, p in server_app_routes if re.search(r"\{" + name + r"[}:]", p)]


@pytest.fixture(scope="module")
def all_routes(mirror_root) -> list[tuple[str, str]]:
    from engine.server import make_app

    return route_table(make_app(mirror_root))


def fill(path: str, **override: str) -> str:
    values = {**FILLS, **override}
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: values[m.group(1)], path)


def call(http: requests.Session, server, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    return http.request(method, server.url + path, data=data, allow_redirects=False, timeout=60, **kwargs)


@pytest.mark.parametrize("name,value,status", [
    ("datastack", "nope", 404), ("datastack", "..%2F..%2Fetc", 404), ("table_id", "nope", 404),
    ("version", "99", 404), ("table", "nope", 404), ("view", "nope", 404), ("schema", "nope", 404),
    ("version", "abc", 404), ("table", "..%2F..%2Fdatastack.json", 404), ("view", "..%2Fsynapses_with_types", 404),
])
def test_every_route_answers_unknown_names_with_the_error_shape(
    http, server, all_routes, name: str, value: str, status: int
) -> None:
    checked = routes(all_routes, name)
    assert checked
    for method, path in checked:
        body = {"node_ids": [1]} if "segmentation" in path else None
        message = error_of(call(http, server, method, fill(path, **{name: value}), body), status)
        assert value.replace("%2F", "/") in message or status == 404


def test_unknown_route_and_method(http, server) -> None:
    assert "no route" in error_of(call(http, server, "GET", "/materialize/api/v3/nothing"), 404)
    assert error_of(call(http, server, "GET", "/info/version"), 404)  # caveclient expects a 404 here
    assert "POST" in error_of(call(http, server, "GET", QUERY), 405)
    assert error_of(call(http, server, "GET", V3 + "/versions/"), 404)  # a trailing slash is not redirected


@pytest.mark.parametrize("body,expected", [
    (b"{not json", "not valid JSON"),
    ([1, 2], "must be a JSON object"),
    ({"filter_out_dict": {}}, "unknown body key"),
    ({"filter_in_dict": {"synapses": [1, 2]}}, "filter_in_dict must be"),
    ({"filter_in_dict": {"cell_types": {"id": [1]}}}, "does not read"),
    ({"filter_in_dict": {"synapses": {"no_such_column": [1]}}}, "no_such_column"),
    ({"filter_spatial_dict": {"synapses": {"post_pt_position": [[0, 0], [1, 1]]}}}, "post_pt_position"),
    ({"filter_spatial_dict": {"synapses": {"post_pt_position": [[5, 5, 5], [1, 1, 1]]}}}, "post_pt_position"),
    ({"filter_regex_dict": {"synapses": {"size": "^1"}}}, "size"),
    ({"select_columns": "id"}, "select_columns"),
    ({"select_columns": ["nope"]}, "nope"),
    ({"limit": 0}, "limit"), ({"limit": -5}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": 10**30}, "limit"),
    ({"limit": 2.5}, "limit"), ({"offset": -1}, "offset"), ({"desired_resolution": [1, 1]}, "desired_resolution"),
    ({"desired_resolution": [0, 1, 1]}, "desired_resolution"),
])
def test_bad_query_bodies_are_400(http, server, body: Any, expected: str) -> None:
    assert expected in error_of(call(http, server, "POST", QUERY, body), 400)


def test_bad_query_arguments_are_400(http, server) -> None:
    assert "random_sample" in error_of(call(http, server, "POST", QUERY + "?random_sample=lots", {}), 400)
    assert "count" in error_of(call(http, server, "POST", QUERY + "?count=maybe", {}), 400)
    assert "expired" in error_of(call(http, server, "GET", V3 + "/versions?expired=sometimes"), 400)


def test_join_and_live_bodies(http, server) -> None:
    join = f"{V3}/version/5/query"
    assert "tables must be" in error_of(call(http, server, "POST", join, {"tables": [["synapses", "id"]]}), 400)
    pairs = [["cell_types", "target_id"], ["nucleus_detection_v0", "nope"]]
    assert "nope" in error_of(call(http, server, "POST", join, {"tables": pairs}), 400)
    pairs = [["cell_types", "target_id"], ["missing_table", "id"]]
    assert "missing_table" in error_of(call(http, server, "POST", join, {"tables": pairs}), 404)
    live = f"{V3}/query"
    assert "timestamp" in error_of(call(http, server, "POST", live, {"table": "synapses"}), 400)
    assert "ISO" in error_of(call(http, server, "POST", live, {"table": "synapses", "timestamp": "yesterday"}), 400)
    body = {"table": "synapses", "timestamp": "2024-04-01T00:00:00+00:00", "join_tables": [["synapses", "id"]]}
    assert "join_tables" in error_of(call(http, server, "POST", live, body), 400)


def test_expired_version_is_gone_for_rows_but_described(http, server) -> None:
    assert "expired" in error_of(call(http, server, "POST", QUERY.replace("/5/", "/1/"), {}), 410)
    assert error_of(call(http, server, "GET", f"{V3}/version/1/table/synapses/count"), 410)
    assert call(http, server, "GET", f"{V3}/version/1").json()["valid"] is False


def test_chunkedgraph_inputs(http, server) -> None:
    assert "multiple of 8" in error_of(call(http, server, "POST", PCG + "/roots_binary", b"1234567"), 400)
    assert "node_ids" in error_of(call(http, server, "POST", PCG + "/is_latest_roots", {"ids": [1]}), 400)
    assert "non-negative" in error_of(call(http, server, "POST", PCG + "/is_latest_roots", {"node_ids": [-1]}), 400)
    assert "epoch" in error_of(call(http, server, "POST", PCG + "/is_latest_roots?timestamp=noon", {"node_ids": [1]}), 400)
    assert "timestamp_past" in error_of(call(http, server, "GET", PCG + "/past_id_mapping", {"root_ids": [1]}), 400)
    assert "not in the segmentation" in error_of(call(http, server, "POST", PCG + "/root_timestamps", {"node_ids": [7]}), 400)


def test_size_limits(http, start_server) -> None:
    small = start_server(max_filter_values=50, max_body_bytes=4096, max_limit=1000)
    ids = list(range(60))
    assert "at most 50" in error_of(call(http, small, "POST", QUERY, {"filter_in_dict": {"synapses": {"id": ids}}}), 400)
    assert "at most 50" in error_of(call(http, small, "POST", PCG + "/roots_binary", np.arange(51, dtype="<u8").tobytes()), 400)
    assert "too large" in error_of(call(http, small, "POST", QUERY, {"filter_in_dict": {"synapses": {"id": [1] * 2000}}}), 413)
    assert "1000" in error_of(call(http, small, "POST", QUERY, {"limit": 1001}), 400)


def test_request_timeout_is_a_408(http, start_server) -> None:
    hasty = start_server(request_timeout=1e-9)
    assert "limit" in error_of(call(http, hasty, "POST", QUERY, {}), 408)
