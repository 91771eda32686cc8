"""download() against a real aiohttp server: every case ends in a verified file or a clear error."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pytest
from catalog_http_server import DATA, DATA_SHA256, Server

from engine.catalog.download import download, download_async, partial_path
from engine.errors import BadInputError, DownloadError, IntegrityError

FAST = {"backoff": 0.001, "progress": False}


def leftovers(directory: Path) -> list[str]:
    """Files other than lock files (which flock-based locking leaves behind on purpose)."""
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".lock"))


def test_plain_download_is_verified_and_stamped(http_server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "db" / "r.sqlite"
    assert download(http_server.url("normal"), dest, sha256=DATA_SHA256, size=len(DATA), **FAST) == dest
    assert dest.read_bytes() == DATA
    assert leftovers(dest.parent) == ["r.sqlite", "r.sqlite.sha256"]


def test_dropped_connection_resumes_with_range(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("drop"), tmp_path / "r.sqlite"
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), **FAST)
    assert dest.read_bytes() == DATA
    first, second = http_server.ranges(url)
    assert first is None and second is not None and second.startswith("bytes=")
    assert 0 < int(second.removeprefix("bytes=").rstrip("-")) < len(DATA)


def test_server_ignoring_range_restarts_cleanly_never_doubles(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("ignore-range"), tmp_path / "r.sqlite"
    download(url, dest, size=len(DATA), **FAST)  # size only: a doubled body would be caught, but must not happen
    assert dest.read_bytes() == DATA
    assert len(http_server.ranges(url)) == 2


def test_resume_from_partial_left_by_an_earlier_run(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    partial_path(dest, len(DATA)).write_bytes(DATA[:1000])
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), **FAST)
    assert dest.read_bytes() == DATA
    assert http_server.ranges(url) == ["bytes=1000-"]


def test_complete_partial_without_known_size_gets_416_and_is_verified(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    partial_path(dest, None).write_bytes(DATA)
    download(url, dest, sha256=DATA_SHA256, **FAST)
    assert dest.read_bytes() == DATA
    assert http_server.ranges(url) == [f"bytes={len(DATA)}-"]


def test_oversized_partial_restarts(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    partial_path(dest, len(DATA)).write_bytes(DATA + b"junk")
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), **FAST)
    assert dest.read_bytes() == DATA


def test_wrong_bytes_raise_integrity_error_and_leave_nothing(http_server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "r.sqlite"
    with pytest.raises(IntegrityError) as err:
        download(http_server.url("wrong"), dest, sha256=DATA_SHA256, size=len(DATA), **FAST)
    message = str(err.value)
    assert "r.sqlite" in message and f"expected sha256 {DATA_SHA256}, got " in message
    assert leftovers(tmp_path) == []


def test_size_differing_from_catalog_fails_before_downloading(http_server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "r.sqlite"
    expected = f"is {len(DATA)} bytes on the server but the catalog expects {len(DATA) + 1}"
    with pytest.raises(IntegrityError, match=expected):
        download(http_server.url("normal"), dest, size=len(DATA) + 1, **FAST)
    assert leftovers(tmp_path) == []


def test_503_a_few_times_then_success(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("flaky"), tmp_path / "r.sqlite"
    download(url, dest, sha256=DATA_SHA256, **FAST)
    assert dest.read_bytes() == DATA
    assert len(http_server.ranges(url)) == 3


def test_503_forever_is_a_download_error_after_bounded_retries(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("down"), tmp_path / "r.sqlite"
    with pytest.raises(DownloadError) as err:
        download(url, dest, retries=3, **FAST)
    assert str(err.value) == (
        f"download of {url} failed after 4 attempts (3 retries without progress); "
        "last error: HTTP 503 Service Unavailable"
    )
    assert len(http_server.ranges(url)) == 4
    assert not dest.exists()


def test_404_fails_at_once(http_server: Server, tmp_path: Path) -> None:
    url = http_server.url("missing")
    with pytest.raises(DownloadError, match=r"HTTP 404 Not Found \(not retried\)") as err:
        download(url, tmp_path / "r.sqlite", **FAST)
    assert url in str(err.value)
    assert len(http_server.ranges(url)) == 1


def test_connection_refused_is_a_download_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bind, then close before connecting
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match="failed after 2 attempts.*ClientConnectorError"):
        download(f"http://127.0.0.1:{port}/x", tmp_path / "r.sqlite", retries=1, **FAST)


def test_parallel_ranges_equal_the_source(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), parallel_ranges=4, **FAST)
    assert dest.read_bytes() == DATA
    ranges = sorted(http_server.ranges(url), key=lambda r: int(r.removeprefix("bytes=").split("-")[0]))
    assert len(ranges) == 4 and ranges[0].startswith("bytes=0-") and ranges[-1].endswith(f"-{len(DATA) - 1}")
    assert leftovers(tmp_path) == ["r.sqlite", "r.sqlite.sha256"]


def test_parallel_ranges_resume_a_dropped_range(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("drop"), tmp_path / "r.sqlite"
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), parallel_ranges=3, **FAST)
    assert dest.read_bytes() == DATA
    assert len(http_server.ranges(url)) == 4


def test_parallel_ranges_fall_back_when_range_is_ignored(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("ignore-range"), tmp_path / "r.sqlite"
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), parallel_ranges=4, **FAST)
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == ["r.sqlite", "r.sqlite.sha256"]


def test_parallel_ranges_with_wrong_bytes_leave_nothing(http_server: Server, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="expected sha256"):
        download(http_server.url("wrong"), tmp_path / "r.sqlite", sha256=DATA_SHA256, size=len(DATA),
                 parallel_ranges=4, **FAST)
    assert leftovers(tmp_path) == []


def test_existing_file_is_returned_without_a_request(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    dest.write_bytes(DATA)
    assert download(url, dest, sha256=DATA_SHA256, size=len(DATA), **FAST) == dest
    assert http_server.ranges(url) == []


def test_existing_file_that_mismatches_is_an_error_not_a_redownload(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("normal"), tmp_path / "r.sqlite"
    dest.write_bytes(DATA[:-1] + b"x")
    with pytest.raises(IntegrityError, match=r"cached file .*r\.sqlite does not match the catalog: expected sha256 "
                                             r".*; delete it to download it again"):
        download(url, dest, sha256=DATA_SHA256, size=len(DATA), **FAST)
    assert http_server.ranges(url) == []
    with pytest.raises(IntegrityError, match=f"expected {len(DATA) + 1} bytes, got {len(DATA)}"):
        download(url, dest, size=len(DATA) + 1, **FAST)


def test_progress_bar_goes_to_stderr(http_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    download(http_server.url("normal"), tmp_path / "bar.sqlite", size=len(DATA), progress=True, backoff=0.001)
    err = capsys.readouterr().err
    assert "bar.sqlite: 100%" in err and "3.00M/3.00M" in err and "B/s" in err


def test_silent_when_stderr_is_not_a_tty(
    http_server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    download(http_server.url("normal"), tmp_path / "r.sqlite", size=len(DATA))
    assert capsys.readouterr().err == ""


def test_async_api_and_sync_api_inside_a_running_loop(http_server: Server, tmp_path: Path) -> None:
    async def main() -> tuple[Path, Path]:
        first = await download_async(http_server.url("normal"), tmp_path / "a.sqlite", sha256=DATA_SHA256, **FAST)
        second = download(http_server.url("normal"), tmp_path / "b.sqlite", sha256=DATA_SHA256, **FAST)
        return first, second

    for path in asyncio.run(main()):
        assert path.read_bytes() == DATA


@pytest.mark.parametrize(
    ("option", "value"),
    [("sha256", "abc"), ("size", -1), ("retries", -1), ("parallel_ranges", 0), ("timeout", 0)],
)
def test_bad_options(tmp_path: Path, option: str, value: object) -> None:
    with pytest.raises(BadInputError, match=option):
        download("http://127.0.0.1:9/x", tmp_path / "r.sqlite", **{option: value})


def _race(url: str, dest: str, start: multiprocessing.synchronize.Event) -> None:
    start.wait(30)
    download(url, dest, sha256=DATA_SHA256, size=len(DATA), progress=False)


def test_two_processes_downloading_the_same_file(http_server: Server, tmp_path: Path) -> None:
    url, dest = http_server.url("slow"), tmp_path / "r.sqlite"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_race, args=(url, str(dest), start)) for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert dest.read_bytes() == DATA
    assert http_server.ranges(url) == [None]  # the second process waited and found the verified file
    assert leftovers(tmp_path) == ["r.sqlite", "r.sqlite.sha256"]
