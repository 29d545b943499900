"""Progress reports while files load: what the CLI (or an orchestrator) is told, and when."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report for one file.

    stage: 'hashing', 'loading', 'quarantine', then one of the final statuses 'loaded',
    'replaced', 'skipped', 'refused'. bytes_total is the file's size on disk; fraction (0..1)
    how much of it has been read; rows the rows read so far (an estimate while loading, exact
    in the final event); elapsed the seconds since this file started.
    """

    path: str
    stage: str
    bytes_total: int
    rows: int | None
    fraction: float | None
    elapsed: float


ProgressCallback = Callable[[ProgressEvent], None]


def rows_per_byte(path: Path, kind: str, sample: int = 1 << 20) -> float:
    """Lines per byte on disk, from the first MiB (decompressed when gzipped): a row estimate."""
    with open(path, "rb") as fh:
        head = fh.read(sample)
    if not head:
        return 0.0
    if kind == "csv.gz":
        try:
            text = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return 0.0
    else:
        text = head
    return text.count(b"\n") / len(head)


class QueryProgress:
    """Polls connection.query_progress() from a thread while a statement runs on `con`.

    DuckDB only tracks progress with `enable_progress_bar` on (its printing is switched off
    so nothing is written to the terminal); the poll returns a percentage, or -1 when no
    query runs.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        report: Callable[[float], None],
        interval: float = 0.5,
    ) -> None:
        self._con = con
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="estore-load-progress", daemon=True)

    def __enter__(self) -> QueryProgress:
        self._con.execute("set enable_progress_bar = true; set enable_progress_bar_print = false")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = -1.0
        while not self._stop.wait(self._interval):
            try:
                pct = self._con.query_progress()
            except Exception:  # progress is best effort: never fail a load over it
                return
            if pct >= 0 and pct != last:
                last = pct
                self._report(min(pct, 100.0) / 100.0)


def timer() -> Callable[[], float]:
    start = time.perf_counter()
    return lambda: time.perf_counter() - start
