"""`estore ui` serves Dagster over HTTP and stops without leaving a process; `dg check defs` passes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from estore.orchestration.keys import LOAD_JOB
from estore.orchestration.ui import fail_unfinished_runs, prepare_home
from estore.settings import load_settings

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(workspace: Path) -> list[int]:
    """Live processes started for this workspace (estore ui sets ESTORE_WORKSPACE for all of them)."""
    marker = f"ESTORE_WORKSPACE={workspace}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0") and b") Z " not in (proc / "stat").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.fixture(scope="module")
def ui_workspace(tmp_path_factory) -> Path:
    """One workspace for both runs: the second start finds the dbt manifest already parsed."""
    return tmp_path_factory.mktemp("ui-ws")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_estore_ui_serves_and_stops_cleanly(ui_workspace, stop_signal):
    workspace = ui_workspace
    port = free_port()
    env = {**os.environ, "ESTORE_WORKSPACE": str(workspace)}
    ui = subprocess.Popen(
        [str(BIN / "estore"), "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150
        body = None
        while time.monotonic() < deadline and ui.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(1)
        assert body is not None and "dagster_webserver_version" in body, ui.stdout.read() if ui.poll() else ""
        assert len(processes_of(workspace)) >= 3  # estore ui, dagster dev, webserver, daemon, code server
        os.killpg(ui.pid, stop_signal)  # as a terminal's Ctrl-C or a service manager's stop would
        output, _ = ui.communicate(timeout=90)
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
    assert ui.returncode == 0, output
    assert f"Dagster UI: http://127.0.0.1:{port}" in output
    assert "Dagster stopped." in output
    # helpers that exit when their parent's pipe closes (multiprocessing's resource tracker) get a moment
    deadline = time.monotonic() + 10
    while (group_members(ui.pid) or processes_of(workspace)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_members(ui.pid) == []
    assert processes_of(workspace) == []
    assert (workspace / "dagster" / "dagster.yaml").exists()


def test_dg_check_defs(workspace, defs):
    """The dg project of pyproject.toml loads (run from the repository, as CI does)."""
    env = {**os.environ, "ESTORE_WORKSPACE": str(workspace), "VIRTUAL_ENV": str(BIN.parent)}
    done = subprocess.run(
        [str(BIN / "dg"), "check", "defs"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_runs_left_in_progress_are_failed_so_the_queue_moves(tmp_path, defs):
    """A run still STARTED when estore ui stopped held the one run slot forever; now it is failed."""
    settings = load_settings(tmp_path / "ws")
    home = prepare_home(settings)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        job = defs.resolve_job_def(LOAD_JOB)
        started = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
        waiting = instance.create_run_for_job(job, status=dg.DagsterRunStatus.NOT_STARTED)
        done = instance.create_run_for_job(job, status=dg.DagsterRunStatus.SUCCESS)
    assert fail_unfinished_runs(home) == [started.run_id]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = {run.run_id: run.status for run in instance.get_runs()}
    assert statuses == {
        started.run_id: dg.DagsterRunStatus.FAILURE,
        waiting.run_id: dg.DagsterRunStatus.NOT_STARTED,  # not launched yet: the daemon launches it later
        done.run_id: dg.DagsterRunStatus.SUCCESS,
    }
    assert fail_unfinished_runs(home) == []
