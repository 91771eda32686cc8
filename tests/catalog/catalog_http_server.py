"""A real aiohttp server for download tests: serves seeded random bytes, with misbehaving modes."""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from aiohttp import web

DATA = random.Random(42).randbytes(3 * 1024 * 1024 + 17)
DATA_SHA256 = hashlib.sha256(DATA).hexdigest()
WRONG = bytes(b ^ 0xFF for b in DATA[:1024]) + DATA[1024:]
MODES = ("normal", "drop", "ignore-range", "wrong", "flaky", "down", "missing", "slow")
WRITE_CHUNK = 64 * 1024


class Server:
    """Serves ``DATA`` at ``/<mode>/<key>[/anything]``; each ``url()`` gets a fresh key, so request logs never mix.

    Modes: normal (honours Range); drop (first response closes the connection half-way);
    ignore-range (always 200 with the whole body, and the first one drops half-way); wrong (corrupt
    bytes, same length); flaky (503 twice, then normal); down (503 forever); missing (404);
    slow (normal, written in small delayed chunks so concurrent clients overlap).
    """

    def __init__(self) -> None:
        self.requests: dict[str, list[str | None]] = defaultdict(list)
        self.files: dict[str, bytes] = {}
        self.base = ""

    def publish(self, content: bytes) -> str:
        """Serve ``content`` as a plain file (e.g. a catalog) at a fresh URL."""
        name = uuid.uuid4().hex
        self.files[name] = content
        return f"{self.base}/files/{name}"

    async def handle_file(self, request: web.Request) -> web.Response:
        return web.Response(body=self.files[request.match_info["name"]])

    def url(self, mode: str) -> str:
        assert mode in MODES
        return f"{self.base}/{mode}/{uuid.uuid4().hex}"

    def ranges(self, url: str) -> list[str | None]:
        """The Range header of every request made to ``url`` (None when absent)."""
        return self.requests[urlsplit(url).path.split("/")[2]]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        mode, key = request.match_info["mode"], request.match_info["key"]
        log = self.requests[key]
        log.append(request.headers.get("Range"))
        n = len(log)
        if mode == "missing":
            return web.Response(status=404, text="no such file")
        if mode == "down" or (mode == "flaky" and n <= 2):
            return web.Response(status=503, text="try later")
        body = WRONG if mode == "wrong" else DATA
        wanted = None if mode == "ignore-range" else _parse_range(request.headers.get("Range"), len(body))
        if wanted == "unsatisfiable":
            return web.Response(status=416, headers={"Content-Range": f"bytes */{len(body)}"})
        if wanted is None:
            status, chunk, headers = 200, body, {}
        else:
            start, end = wanted
            status, chunk = 206, body[start : end + 1]
            headers = {"Content-Range": f"bytes {start}-{end}/{len(body)}"}
        resp = web.StreamResponse(status=status, headers={**headers, "Accept-Ranges": "bytes"})
        resp.content_length = len(chunk)
        await resp.prepare(request)
        if mode in ("drop", "ignore-range") and n == 1:
            await resp.write(chunk[: len(chunk) // 2])
            assert request.transport is not None
            request.transport.close()
            return resp
        for i in range(0, len(chunk), WRITE_CHUNK):
            await resp.write(chunk[i : i + WRITE_CHUNK])
            if mode == "slow":
                await asyncio.sleep(0.002)
        await resp.write_eof()
        return resp


def _parse_range(header: str | None, total: int) -> tuple[int, int] | str | None:
    if not header:
        return None
    first, _, last = header.removeprefix("bytes=").partition("-")
    start = int(first)
    if start >= total:
        return "unsatisfiable"
    return start, min(int(last), total - 1) if last else total - 1


@contextmanager
def running_server() -> Iterator[Server]:
    """A ``Server`` on 127.0.0.1, port 0, in a background thread with its own event loop."""
    server = Server()
    app = web.Application()
    app.router.add_get("/files/{name}", server.handle_file)
    app.router.add_get("/{mode}/{key}{tail:(/.*)?}", server.handle)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        host, port = runner.addresses[0][:2]
        server.base = f"http://{host}:{port}"
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="catalog-test-http", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
