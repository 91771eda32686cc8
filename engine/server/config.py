"""``ServerConfig``: every knob of the CAVE-compatible service in one frozen, validated record."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import BadInputError

REFERENCE_ROW_LIMIT = 200_000  # MaterializationEngine's QUERY_LIMIT_SIZE
TOKEN_ENV = "ENGINE_SERVER_TOKENS"


@dataclass(frozen=True)
class ServerConfig:
    """What one running service is allowed to do.

    ``row_limit=None`` streams every matching row (our default); ``REFERENCE_ROW_LIMIT`` reproduces
    the reference's cap and its ``Warning`` header. ``tokens=None`` leaves the service open; a set
    requires ``Authorization: Bearer <token>`` (or the ``middle_auth_token`` cookie) on every route.
    ``public_url`` is what the info record advertises (default: the URL the request came in on).
    """

    root: Path
    tokens: frozenset[str] | None = None
    row_limit: int | None = None
    request_timeout: float = 300.0
    max_body_bytes: int = 64 << 20
    max_filter_values: int = 2_000_000
    max_limit: int = 1 << 40
    query_threads: int = field(default_factory=lambda: max(8, min(32, (os.cpu_count() or 4) * 2)))
    public_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().resolve())
        if not self.root.is_dir():
            raise BadInputError(f"mirror root {self.root} is not a directory")
        if self.row_limit is not None and (type(self.row_limit) is not int or self.row_limit < 1):
            raise BadInputError(f"row_limit must be a positive int or None, got {self.row_limit!r}")
        for name in ("max_body_bytes", "max_filter_values", "max_limit", "query_threads"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise BadInputError(f"{name} must be a positive int, got {value!r}")
        if not self.request_timeout > 0:
            raise BadInputError(f"request_timeout must be > 0 seconds, got {self.request_timeout!r}")
        if self.tokens is not None:
            if not self.tokens or not all(isinstance(t, str) and t for t in self.tokens):
                raise BadInputError("tokens must be a non-empty set of non-empty strings (or None for an open server)")
            object.__setattr__(self, "tokens", frozenset(self.tokens))


def load_tokens(path: str | os.PathLike[str] | None = None, env: str = TOKEN_ENV) -> frozenset[str] | None:
    """Tokens from a file (one per line, ``#`` comments) and/or the ``env`` variable (whitespace or commas).

    None when neither names any token, i.e. an open server.
    """
    tokens: set[str] = set()
    if path is not None:
        try:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInputError(f"cannot read token file {path}: {exc.strerror}") from None
        tokens.update(line.split("#", 1)[0].strip() for line in text.splitlines())
        if not tokens - {""}:
            raise BadInputError(f"token file {path} holds no tokens")
    tokens.update(os.environ.get(env, "").replace(",", " ").split())
    tokens.discard("")
    return frozenset(tokens) or None
