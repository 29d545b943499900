"""The CLI's contract with a user: clear errors naming what to fix, and exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
ROW = "2019-10-01 00:00:04 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,72d76fde-8bb3\n"


def estore(workspace: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_missing_path_is_named(tmp_path):
    out = estore(tmp_path / "ws", "load", str(tmp_path / "nope" / "*.csv"))
    assert out.returncode == 1
    assert "nope" in out.stderr and "Traceback" not in out.stderr


def test_refused_file_exits_non_zero_and_good_file_loads(tmp_path):
    (tmp_path / "good.csv").write_text(HEADER + ROW)
    (tmp_path / "bad.csv").write_text(HEADER.replace("price", "cost") + ROW)
    out = estore(tmp_path / "ws", "load", str(tmp_path / "good.csv"), str(tmp_path / "bad.csv"))
    assert out.returncode == 1
    assert "bad.csv" in out.stdout and "header" in out.stdout and "refused" in out.stdout
    with duckdb.connect(str(tmp_path / "ws" / "warehouse.duckdb"), read_only=True) as con:
        ledger = con.execute("select file_name, status, rows_loaded from raw.load_ledger").fetchall()
        events = con.execute("select user_id, price from raw.events").fetchall()
    assert ledger == [("good.csv", "loaded", 1)]
    assert events == [(541312140, Decimal("35.79"))]


def test_run_stops_before_building_when_a_file_is_refused(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    out = estore(tmp_path / "ws", "run", str(tmp_path / "bad.csv"))
    assert out.returncode == 1
    assert "Models not rebuilt" in out.stderr
    assert not (tmp_path / "ws" / "dbt").exists()


def test_summary_without_warehouse(tmp_path):
    out = estore(tmp_path / "ws", "summary")
    assert out.returncode == 1 and "estore run" in out.stderr


def test_bad_calibration_date_and_bad_var(tmp_path):
    out = estore(tmp_path / "ws", "validate-clv", "--calibration-end", "31/01/2020")
    assert out.returncode == 1 and "YYYY-MM-DD" in out.stderr
    out = estore(tmp_path / "ws", "validate-clv", "--calibration-end", "2019-11-31")
    assert (
        out.returncode == 1
        and "'2019-11-31': expected a date as YYYY-MM-DD (day is out of range for month)" in out.stderr
    )
    out = estore(tmp_path / "ws", "build", "--var", "churn_days")
    assert out.returncode == 1 and "KEY=VALUE" in out.stderr


def test_generate_warns_of_event_files_it_did_not_write(tmp_path):
    out = estore(tmp_path / "ws", "generate", "--out", str(tmp_path / "g"), "--events", "5000", "--months", "2")
    assert out.returncode == 0 and "also holds" not in out.stderr
    out = estore(tmp_path / "ws", "generate", "--out", str(tmp_path / "g"), "--events", "5000", "--months", "1")
    assert out.returncode == 0
    assert "also holds 1 event file(s) this run did not write (2019-Nov.csv)" in out.stderr


def test_generate_rejects_bad_option(tmp_path):
    out = estore(tmp_path / "ws", "generate", "--out", str(tmp_path / "g"), "--months", "0")
    assert out.returncode == 1 and "--months" in out.stderr
    assert not list((tmp_path / "g").glob("*.csv"))


def test_bad_settings_are_printed_whole_without_traceback(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "estore.toml").write_text('[clv]\nhorizon_months = "twelve"\n')
    out = estore(tmp_path / "ws", "summary")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "estore.toml: [clv] horizon_months = 'twelve' is not valid" in out.stderr  # [clv] is not read as markup
    out = estore(tmp_path / "other", "build", "--var", "churn_dayz=120")
    assert out.returncode == 1 and "--var churn_dayz: unknown dbt var 'churn_dayz'" in out.stderr
    assert not (tmp_path / "other" / "dbt").exists()  # stopped before dbt ran
    out = estore(tmp_path / "ws" / "estore.toml", "summary")
    assert out.returncode == 1 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "good.csv").write_text(HEADER + ROW)
    out = estore(tmp_path / "ws" / "estore.toml" / "inside", "load", str(tmp_path / "good.csv"))
    assert out.returncode == 1 and "estore.toml is a file, not a folder" in out.stderr and "Traceback" not in out.stderr
    # a folder nobody can create, not even root: /proc takes no new entries
    out = estore(Path("/proc/estore-workspace"), "load", str(tmp_path / "good.csv"))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "cannot create the folder /proc/estore-workspace for the warehouse" in out.stderr


def test_ui_refuses_a_port_in_use(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        out = estore(tmp_path / "ws", "ui", "--port", str(port))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"cannot serve on http://127.0.0.1:{port}: Address already in use" in out.stderr
    assert not (tmp_path / "ws" / "dagster").exists()  # refused before anything was set up


def test_a_warehouse_in_use_is_named_with_its_process(tmp_path):
    warehouse = tmp_path / "ws" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    hold = f"import duckdb, time; con = duckdb.connect({str(warehouse)!r}); print('ready', flush=True); time.sleep(120)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        (tmp_path / "a.csv").write_text(HEADER + ROW)
        out = estore(tmp_path / "ws", "load", str(tmp_path / "a.csv"))
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    said = " ".join(out.stderr.split())
    assert f"warehouse {warehouse} is in use by another process (PID {holder.pid}): a load, build" in said
    assert estore(tmp_path / "ws", "load", str(tmp_path / "a.csv")).returncode == 0  # free again: it loads


def test_a_selection_that_matches_nothing_is_refused(tmp_path):
    (tmp_path / "good.csv").write_text(HEADER + ROW)
    assert estore(tmp_path / "ws", "load", str(tmp_path / "good.csv")).returncode == 0
    out = estore(tmp_path / "ws", "build", "--select", "fct_sesions")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "--select 'fct_sesions' matches no model, snapshot or test; nothing built or published" in " ".join(
        out.stderr.split()
    )
    assert not (tmp_path / "ws" / "serving.duckdb").exists()


def test_summary_says_what_to_run_before_the_build_and_without_events(tmp_path):
    out = estore(tmp_path / "ws", "build")  # nothing loaded yet: nothing to build
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert (
        "nothing to build: no file has been loaded into" in out.stderr and "`estore load PATH...` first" in out.stderr
    )
    assert not (tmp_path / "ws" / "dbt").exists() and not (tmp_path / "ws" / "serving.duckdb").exists()
    (tmp_path / "header_only.csv").write_text(HEADER)
    assert estore(tmp_path / "ws", "load", str(tmp_path / "header_only.csv")).returncode == 0
    out = estore(tmp_path / "ws", "summary")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "are not built yet; run `estore build` first" in out.stderr
    out = estore(tmp_path / "ws", "validate-clv", "--calibration-end", "2019-10-01")
    assert out.returncode == 1 and "are not built yet; run `estore build` first" in out.stderr
    out = estore(tmp_path / "ws", "build")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "│ events │ 0 │" in " ".join(out.stdout.split())
    assert "no events loaded yet: `estore load PATH...` then `estore build`" in " ".join(out.stderr.split())


def test_ui_refuses_a_landing_url_it_cannot_read(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "estore.toml").write_text('[orchestration]\nlanding = "nosuch://bucket/landing"\n')
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "estore", "--workspace", str(tmp_path / "ws"), "ui", "--port", str(port)]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # it started Dagster after all: stop all it started
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 1 and "Traceback" not in stderr
    assert "landing nosuch://bucket/landing: no filesystem for this URL (Protocol not known: nosuch)" in stderr
    assert not (tmp_path / "ws" / "dagster").exists()


def test_paths_are_printed_as_they_are(tmp_path):
    # [b] and [red] would be read as markup: bold, or a colour, and vanish from the output
    landing = tmp_path / "[b]landing"
    out = estore(tmp_path / "[red]ws", "generate", "--out", str(landing), "--events", "2000", "--months", "1")
    assert out.returncode == 0, out.stderr
    assert f"manifest: {landing / 'generation.json'}" in out.stdout


def test_out_of_memory_names_the_settings_and_keeps_nothing(tmp_path):
    (tmp_path / "good.csv").write_text(HEADER + ROW * 20_000)
    out = estore(tmp_path / "ws", "load", str(tmp_path / "good.csv"), env={"ESTORE_MEMORY_LIMIT": "1MB"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "Out of Memory Error" in out.stderr and "ESTORE_MEMORY_LIMIT" in out.stderr
    assert "memory_limit under [duckdb] in <workspace>/estore.toml" in out.stderr
    with duckdb.connect(str(tmp_path / "ws" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select (select count(*) from raw.events), (select count(*) from raw.load_ledger)"
        ).fetchone() == (0, 0)
    out = estore(tmp_path / "ws", "load", str(tmp_path / "good.csv"))  # enough memory: it loads once
    assert out.returncode == 0, out.stderr
    with duckdb.connect(str(tmp_path / "ws" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.events").fetchone() == (20_000,)
