"""A build killed or interrupted midway is caught up by the next build.

dbt commits each model on its own, so a build stopped midway leaves the models before the stop
new and the rest old. The next build must bring every table to what an uninterrupted build
gives. Each case stops a build process (SIGKILL as dbt starts one node, as a crash or the OOM
killer would; or Ctrl-C during `estore build`), builds again, and compares every table with a
warehouse built without a stop. Columns that record when a build wrote a row differ by
construction and are left out.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from estore.transform import build

from .conftest import late_rows, month_one, month_two
from .support import write_warehouse

# build stamps and snapshot times (segment_migration's bounds are snapshot times): they hold the
# time of the build that wrote the row
STAMP_COLUMNS = {"built_at", "assigned_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}
STAMP_COLUMNS |= {"from_date", "to_date"}

# started when the kill comes: what is already committed / what is not yet
KILL_POINTS = [
    "fct_sessions",  # fct_events holds the new load, fct_sessions does not
    "int_session_groups_by_day",  # the groups' assignment history moved on, the counts did not
    "snap_user_activity_status",  # dim_users moved on, its snapshot did not
]

_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from estore.transform import build

warehouse, workspace, node = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def progress(name):
    if name == node:
        os.kill(os.getpid(), signal.SIGKILL)

build(warehouse, workspace, progress=progress)
"""


def tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Every table dbt builds (marts, intermediate, snapshots' current rows), stamps left out."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, list(column_name order by ordinal_position) "
            "from information_schema.columns join information_schema.tables using (table_schema, table_name) "
            "where table_schema in ('marts', 'intermediate', 'snapshots') and table_type = 'BASE TABLE' "
            "group by all order by all"
        ).fetchall()
        for schema, name, names in columns:
            keep = ", ".join(f'"{c}"' for c in names if c not in STAMP_COLUMNS)
            current = " where dbt_valid_to is null" if schema == "snapshots" else ""
            out[f"{schema}.{name}"] = con.execute(f"select {keep} from {schema}.{name}{current} order by all").df()
    return out


def stale(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> list[str]:
    """The tables that are missing or differ from those of the uninterrupted build."""
    return [name for name, frame in expected.items() if name not in got or not frame.equals(got[name])]


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict:
    """A warehouse holding month one, built; month two (with rows that change month one's sessions
    and groups) loaded but not built. Also the tables an uninterrupted build of it gives."""
    ws = tmp_path_factory.mktemp("interrupted")
    wh = ws / "warehouse.duckdb"
    one = month_one()
    write_warehouse(wh, {1: one})
    build(wh, ws)
    write_warehouse(wh, {2: month_two() + late_rows(one)})
    pristine = ws / "pristine.duckdb"
    shutil.copyfile(wh, pristine)
    build(wh, ws)
    return {"pristine": pristine, "expected": tables(wh)}


@pytest.mark.parametrize("node", KILL_POINTS)
def test_the_build_after_a_killed_one_equals_an_uninterrupted_build(before, node, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(before["pristine"], wh)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_BUILD, str(wh), str(tmp_path), node], capture_output=True, text=True
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # the kill left the build half done: some tables differ from the uninterrupted build's
    expected = before["expected"]
    assert stale(tables(wh), expected)

    build(wh, tmp_path)
    got = tables(wh)
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_exact=False, rtol=1e-12, obj=name)


def estore_build(workspace: Path) -> subprocess.Popen:
    """`estore build` as a command run in the foreground of a terminal: Ctrl-C reaches it. A shell
    without job control starts background commands with SIGINT ignored, and a child inherits that
    (Python then installs no KeyboardInterrupt handler), so the suite run as such a job would
    otherwise send its SIGINT to a build that ignores it. (test_ingest_atomic's loader script
    restores the handler itself, for the same reason.)"""
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), "build"]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_during_estore_build_exits_130_and_the_next_build_catches_up(before, tmp_path):
    ws = tmp_path / "interrupted"
    ws.mkdir()
    shutil.copyfile(before["pristine"], ws / "warehouse.duckdb")
    build_process = estore_build(ws)
    log = ws / "logs" / "dbt.log"
    deadline = time.monotonic() + 120
    # Ctrl-C once dbt is building fct_sessions (fct_events is committed by then)
    started = "START sql incremental model marts.fct_sessions"
    while not (log.exists() and started in log.read_text()):
        assert build_process.poll() is None and time.monotonic() < deadline, "the build never reached fct_sessions"
        time.sleep(0.05)
    running = build_process.poll() is None
    os.kill(build_process.pid, signal.SIGINT)
    _, stderr = build_process.communicate(timeout=120)
    # should the build not stop: whether it still ran when signalled, and what dbt logged after
    after_start = log.read_text().split(started)[1]
    assert build_process.returncode == 130, f"running when signalled: {running}\n{stderr}\n{after_start[:3000]}"
    assert "interrupted" in stderr and "run the command again" in stderr
    assert "Traceback" not in stderr
    assert stale(tables(ws / "warehouse.duckdb"), before["expected"])

    assert estore_build(ws).wait(timeout=300) == 0
    got = tables(ws / "warehouse.duckdb")
    # estore build also fits customer value, but 40 customers are too few for a fit (BG/NBD needs
    # 100): its tables are those of the dbt build alone
    expected = before["expected"]
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, check_exact=False, rtol=1e-12, obj=name)
