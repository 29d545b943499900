"""Each file loads in one transaction: a kill, Ctrl-C or error mid-file leaves nothing behind."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest
from ingest_files import good_line, query, write_csv

from estore.ingest import ProgressEvent, load

ROWS = 1_500_000  # ~200 MB of CSV: a few seconds to load on one thread
BAD_LINES = ["2019-10-31 23:59:59 UTC,click,1,2,,,1.00,5,s", "2019-10-31 23:59:59 UTC,view,1,2,,,-1.00,5,s"]

LOADER = textwrap.dedent(
    """
    import signal
    import sys
    from pathlib import Path
    from estore.ingest import load

    # a shell that starts jobs in the background (CI runners do) hands them SIGINT ignored,
    # and Python then installs no KeyboardInterrupt handler: restore it, as a terminal has it
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def report(event):
        print(event.stage, event.fraction, flush=True)

    load([sys.argv[1]], Path(sys.argv[2]), threads=1, progress=report)
    print("finished", flush=True)
    """
)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A REES46-shaped CSV written by DuckDB, plus two bad lines at the end."""
    path = tmp_path_factory.mktemp("big") / "2019-Oct.csv"
    duckdb.sql(
        f"""
        copy (
            select strftime(timestamp '2019-10-01' + to_seconds(i * 2592000 // {ROWS}), '%Y-%m-%d %H:%M:%S')
                       || ' UTC' as event_time,
                   case when i % 50 = 0 then 'purchase' when i % 25 = 0 then 'cart' else 'view' end
                       as event_type,
                   1000000 + i % 170000 as product_id,
                   2053013555631882655 + i % 600 as category_id,
                   case when i % 3 = 0 then null else 'electronics.smartphone' end as category_code,
                   case when i % 7 = 0 then null else 'brand' || (i % 3400) end as brand,
                   ((i * 37) % 260000 / 100)::decimal(12, 2) as price,
                   510000000 + i % 3000000 as user_id,
                   md5(i::varchar) as user_session
            from range({ROWS}) t(i)
        ) to '{path}' (header)
        """
    )
    with open(path, "a") as fh:
        fh.write("\n".join(BAD_LINES) + "\n")
    return path


def _start(csv: Path, warehouse: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LOADER, str(csv), str(warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_loading(proc: subprocess.Popen[str], fraction: float = 0.15) -> None:
    """Read the child's progress until its insert is under way (fraction reported >= fraction)."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()  # read on a thread, so a silent child cannot hang the test
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put("")], daemon=True).start()
    deadline = time.monotonic() + 60
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise AssertionError("the loader reported no progress for 60 s") from None
        if not line:
            break
        stage, value = line.split()
        if stage == "loading" and value != "None" and float(value) >= fraction:
            return
        assert stage != "finished" and time.monotonic() < deadline, "load ended before it could be stopped"
    raise AssertionError("child exited before loading: " + (proc.stderr.read() if proc.stderr else ""))


def _assert_empty(warehouse: Path) -> None:
    assert query(
        warehouse,
        "select (select count(*) from raw.events), (select count(*) from raw.quarantine), "
        "(select count(*) from raw.load_ledger)",
    ) == [(0, 0, 0)]


def _assert_loaded_once(csv: Path, warehouse: Path) -> None:
    [r] = load([str(csv)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", ROWS, len(BAD_LINES))
    assert r.rows_loaded + r.rows_quarantined == csv.read_bytes().count(b"\n") - 1  # minus the header
    assert query(
        warehouse,
        "select (select count(*) from raw.events), (select count(*) from raw.quarantine), "
        "(select count(*) from raw.load_ledger)",
    ) == [(ROWS, len(BAD_LINES), 1)]
    [again] = load([str(csv)], warehouse)
    assert again.status == "skipped"


def test_sigkill_mid_load_leaves_nothing_and_rerun_loads_once(big_csv: Path, warehouse: Path) -> None:
    proc = _start(big_csv, warehouse)
    try:
        _wait_until_loading(proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    _assert_empty(warehouse)
    _assert_loaded_once(big_csv, warehouse)


def test_ctrl_c_mid_load_rolls_back_and_reraises(big_csv: Path, warehouse: Path) -> None:
    proc = _start(big_csv, warehouse)
    try:
        _wait_until_loading(proc)
        os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in stderr
    _assert_empty(warehouse)
    _assert_loaded_once(big_csv, warehouse)


def test_interrupt_after_the_rows_are_inserted_rolls_them_back(tmp_path: Path, warehouse: Path) -> None:
    """KeyboardInterrupt raised after the insert, before the commit (from the progress hook)."""
    f = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(100)] + BAD_LINES)
    done = write_csv(tmp_path / "0-first.csv", [good_line(i) for i in range(1000, 1010)])

    def interrupt(event: ProgressEvent) -> None:
        if event.path == str(f) and event.stage == "quarantine":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load([str(done), str(f)], warehouse, progress=interrupt)
    # the file before it stays loaded; the interrupted one left nothing
    assert query(warehouse, "select path, rows_loaded from raw.load_ledger") == [(str(done), 10)]
    assert query(warehouse, "select count(*) from raw.events") == [(10,)]
    assert query(warehouse, "select count(*) from raw.quarantine") == [(0,)]
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 100, 2)
