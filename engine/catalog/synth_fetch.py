"""``synth:`` URLs: "download" a release by generating it locally from a seed.

``synth:synphys?size=small&seed=0&release=2.1&schema_version=22`` calls
``engine.synth.synphys.write(part, size="small", seed=0, release="2.1", schema_version="22")``.
The generator is imported only here, so nothing else in the catalog depends on ``engine.synth``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from engine.errors import BadInputError, UnknownNameError

GENERATORS = ("synphys",)
PARAMS: dict[str, Callable[[str], object]] = {
    "size": str,
    "seed": int,
    "release": str,
    "schema_version": str,
    "n_experiments": int,
    "creation_date": str,
}


def synth_params(url: str) -> tuple[str, dict[str, object]]:
    """``(generator, keyword arguments)`` from a ``synth:`` URL, with a clear error for anything unknown."""
    split = urlsplit(url)
    if split.scheme != "synth" or split.path not in GENERATORS:
        raise BadInputError(f"{url!r} is not a synth URL (expected synth:{'|'.join(GENERATORS)}?key=value&...)")
    kwargs: dict[str, object] = {}
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        if key not in PARAMS:
            raise UnknownNameError("parameter", key, PARAMS, where=f"synth URL {url!r}")
        try:
            kwargs[key] = PARAMS[key](value)
        except ValueError:
            raise BadInputError(f"{url!r}: parameter {key}={value!r} is not a valid {PARAMS[key].__name__}") from None
    return split.path, kwargs


def fetch_synth(url: str, part: Path) -> Path:
    """Generate the release described by ``url`` into ``part``; returns the file written."""
    _, kwargs = synth_params(url)
    from engine.synth import synphys

    # sqlite would open a leftover partial as an existing database and add to it.
    part.unlink(missing_ok=True)
    return Path(synphys.write(part, **kwargs))
