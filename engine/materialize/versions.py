"""Materialization versions and the moment a query reads: a version's ``time_stamp`` or any timestamp.

A version is nothing but a named timestamp here: its state is computed from the interval
tables exactly like any other moment, so expired versions stay reachable (by number or by time).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import BadInputError, SchemaVersionError, UnknownVersionError

UTC = timezone.utc


def utc(value: Any, name: str = "timestamp") -> datetime:
    """A tz-aware UTC datetime from a datetime (naive = UTC), pandas/numpy timestamp, ISO string or ``"now"``."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        if value == "now":
            return datetime.now(UTC)
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise BadInputError(f"{name}: {value!r} is not an ISO 8601 timestamp") from None
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp keeps nanoseconds; DuckDB takes microseconds
        value = value.to_pydatetime(warn=False)
    if not isinstance(value, datetime):
        raise BadInputError(f"{name} must be a datetime, pandas Timestamp or ISO string, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Version:
    """One row of versions.json."""

    version: int
    time_stamp: datetime
    expires_on: datetime | None
    valid: bool
    status: str
    is_merged: bool

    def metadata(self, datastack: str) -> dict[str, Any]:
        """The reference's version dump (``id`` is the version number: the mirror has no database ids)."""
        return {
            "id": self.version, "datastack": datastack, "version": self.version, "time_stamp": self.time_stamp,
            "expires_on": self.expires_on, "valid": self.valid, "status": self.status, "is_merged": self.is_merged,
        }


@dataclass(frozen=True, slots=True)
class Moment:
    """What a query reads: the state at ``ts``; ``version`` is set when it was asked for by version."""

    ts: datetime
    version: int | None = None


class Versions:
    """The versions of one datastack, by number."""

    def __init__(self, records: Iterable[Mapping[str, Any]], where: str) -> None:
        self._where = where
        self._by_number = {v.version: v for v in (_parse(r, where) for r in records)}
        if not self._by_number:
            raise SchemaVersionError(f"{where}: versions.json lists no versions")

    def get(self, version: Any) -> Version:
        """The version numbered ``version``; ``UnknownVersionError`` listing the versions otherwise."""
        number = _number(version)
        if number not in self._by_number:
            raise UnknownVersionError(version, [str(v) for v in self._by_number], self._where)
        return self._by_number[number]

    def numbers(self, expired: bool = False) -> list[int]:
        """Valid version numbers (with ``expired``: every listed version), ascending."""
        return sorted(n for n, v in self._by_number.items() if expired or v.valid)

    def all(self, expired: bool = False) -> list[Version]:
        """Valid versions (with ``expired``: every version), ascending."""
        return [self._by_number[n] for n in self.numbers(expired)]

    def most_recent(self) -> int:
        """The newest valid version (the default a client reads)."""
        valid = self.numbers()
        if not valid:
            raise UnknownVersionError("most recent", [], f"{self._where} (no valid versions)")
        return valid[-1]

    def latest_at(self, ts: datetime) -> Version | None:
        """The newest valid version frozen at or before ``ts`` (what the reference's live_query starts from)."""
        before = [v for v in self.all() if v.time_stamp <= ts]
        return before[-1] if before else None

    def moment(self, *, version: Any = None, timestamp: Any = None, default: int | None = None) -> Moment:
        """The moment for a (version | timestamp) argument pair; giving both is an error."""
        if version is not None and timestamp is not None:
            raise BadInputError("give materialization_version or timestamp, not both")
        if timestamp is not None:
            return Moment(utc(timestamp))
        number = self.get(version if version is not None else default).version
        return Moment(self._by_number[number].time_stamp, number)


def _number(version: Any) -> int:
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer, str)):
        raise BadInputError(f"a version is an integer, got {type(version).__name__} {version!r}")
    try:
        return int(version)
    except ValueError:
        raise BadInputError(f"a version is an integer, got {version!r}") from None


def _parse(record: Mapping[str, Any], where: str) -> Version:
    try:
        expires = record.get("expires_on")
        return Version(
            version=int(record["version"]),
            time_stamp=utc(record["time_stamp"], "time_stamp"),
            expires_on=None if expires is None else utc(expires, "expires_on"),
            valid=bool(record.get("valid", True)),
            status=str(record.get("status", "AVAILABLE")),
            is_merged=bool(record.get("is_merged", True)),
        )
    except (KeyError, TypeError, ValueError, BadInputError) as exc:
        raise SchemaVersionError(f"{where}: bad versions.json entry {dict(record)!r}: {exc}") from None
