"""Blocking work off the event loop: a bounded thread pool, and a thread-to-response bridge for streams.

DuckDB cursors belong to one thread (``Connector`` hands each thread its own), so a streamed
answer is produced *entirely* on one worker thread: the thread runs the query, encodes each
batch and hands the bytes to the event loop through a small queue. A full queue blocks the
thread (backpressure from a slow client); a client that goes away stops the thread at the next
batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import TypeVar

from aiohttp import web

from .state import EXECUTOR

T = TypeVar("T")
QUEUE_CHUNKS = 4
POLL_SECONDS = 0.25
_DONE = object()


async def offload(request: web.Request, fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(*args)`` on the app's query pool and await its result."""
    return await asyncio.get_running_loop().run_in_executor(request.app[EXECUTOR], fn, *args)


async def stream(request: web.Request, produce: Callable[[], Generator[bytes, None, None]]) -> AsyncIterator[bytes]:
    """Yield the chunks of ``produce()``, which is created and iterated on a single pool thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    slots = threading.Semaphore(QUEUE_CHUNKS)  # bounds the queue: the producer waits for the client
    stop = threading.Event()

    def put(item: object) -> None:
        while not slots.acquire(timeout=POLL_SECONDS):
            if stop.is_set():
                raise _Stopped
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def run() -> None:
        chunks = produce()
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                put(chunk)
            put(_DONE)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the event loop, which raises it
            with contextlib.suppress(_Stopped):
                put(exc)
        finally:
            chunks.close()  # release the DuckDB result on this thread, where its cursor lives

    loop.run_in_executor(request.app[EXECUTOR], run)
    try:
        while (item := await queue.get()) is not _DONE:
            slots.release()
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()


class _Stopped(Exception):
    """The consumer went away; the producer thread unwinds."""
