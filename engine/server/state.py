"""Typed keys for what the application shares with every handler, and what a request carries."""

from __future__ import annotations

import asyncio
import concurrent.futures

from aiohttp import web

from .config import ServerConfig
from .datastacks import Datastacks

CONFIG = web.AppKey("config", ServerConfig)
DATASTACKS = web.AppKey("datastacks", Datastacks)
EXECUTOR = web.AppKey("executor", concurrent.futures.ThreadPoolExecutor)

DEADLINE = web.RequestKey("deadline", asyncio.Timeout)  # the request's timeout, extended per streamed chunk
STREAMING = web.RequestKey("streaming", bool)  # set once a streamed response has sent its headers
