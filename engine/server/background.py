"""Run the service on a free loopback port in a background thread (tests, benchmarks, notebooks).

Synchronous code (caveclient, pandas scripts) can then talk to it while it runs; ``close()``
shuts it down gracefully (in-flight requests finish, the query pool is drained).

>>> with BackgroundServer(make_app(root)) as server:  # doctest: +SKIP
...     CAVEclient("synthetic", server_address=server.url, write_server_cache=False)
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class BackgroundServer:
    """``app`` served on ``host`` at a port the OS picks; ``url`` is its base address."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", shutdown_timeout: float = 10.0) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="engine-server", daemon=True)
        self._thread.start()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
        try:
            self.port = self._call(self._start(host))
        except BaseException:
            self._stop_loop()
            raise
        self.url = f"http://{host}:{self.port}"

    async def _start(self, host: str) -> int:
        await self._runner.setup()
        await web.TCPSite(self._runner, host, 0).start()
        return int(self._runner.addresses[0][1])

    def _call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop accepting, let in-flight requests finish, run the app's cleanup, stop the thread."""
        if self._thread.is_alive():
            try:
                self._call(self._runner.cleanup())
            finally:
                self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
