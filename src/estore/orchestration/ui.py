"""`estore ui`: the Dagster webserver and daemon for one workspace, in their own process group.

`dagster dev` runs the webserver, the daemon (sensors, schedules, the run queue) and a code
server. It starts in a new session, so the whole tree is one process group: Ctrl-C or SIGTERM
asks it to shut down, and whatever is still alive after a grace period is killed by group, so
no process is left behind. DAGSTER_HOME is <workspace>/dagster; its dagster.yaml is written on
first start (one run at a time: DuckDB has a single writer) and left alone after that. A run
still in progress when the processes stop is marked as failed, so it cannot hold the run slot.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from estore.errors import EstoreError
from estore.orchestration.landing import filesystem, is_url
from estore.orchestration.manifest import ensure_manifest
from estore.ports import check_free
from estore.settings import Settings

DAGSTER_YAML = """\
# Dagster instance settings for this estore workspace, written by `estore ui` on first start.
# Edit freely: estore never overwrites this file. Reference: https://docs.dagster.io/deployment/oss/dagster-yaml
telemetry:
  enabled: false
concurrency:
  runs:
    # DuckDB allows one writer per warehouse file: loads and builds run one after another.
    max_concurrent_runs: 1
"""
WORKSPACE_YAML = """\
# written by `estore ui` on every start: the one code location, named as in pyproject [tool.dg]
load_from:
  - python_module:
      module_name: estore.orchestration.definitions
      location_name: estore
"""
GRACE_SECONDS = 30  # dagster dev waits for its webserver and daemon to stop; then the group is killed


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 3000, out: Callable[[str], None] = print) -> int:
    """Run the Dagster UI and daemon until Ctrl-C / SIGTERM; returns the exit status (0 when stopped)."""
    check_free(host, port)
    if is_url(settings.landing):
        filesystem(settings.landing)  # refuse a URL whose filesystem is not installed now, not at each tick
    else:
        Path(settings.landing).mkdir(parents=True, exist_ok=True)
    home = prepare_home(settings)
    for run in fail_unfinished_runs(home):
        out(f"run {run} was still in progress when estore ui last stopped: marked as failed (a load rolls back)")
    out("parsing the dbt project for Dagster ...")
    ensure_manifest(settings)
    url = f"http://{host}:{port}"
    env = {
        **os.environ,
        "ESTORE_WORKSPACE": str(settings.workspace),
        "DAGSTER_HOME": str(home),
        "ESTORE_UI_URL": url,
    }
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        "--workspace",
        str(home / "workspace.yaml"),
        "--host",
        host,
        "--port",
        str(port),
    ]
    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        process = subprocess.Popen(
            command, env=env, cwd=settings.workspace, start_new_session=True, preexec_fn=_default_signals
        )
    except OSError as exc:
        for s, handler in previous.items():
            signal.signal(s, handler)
        raise EstoreError(f"could not start dagster dev ({exc})") from exc
    out(f"Dagster UI: {url}  (workspace {settings.workspace}, landing {settings.landing})")
    out("Ctrl-C stops the UI and the daemon.")
    ready = False
    try:
        while process.poll() is None and not stop_requested:
            if not ready and answers(url):
                ready = True
                out(f"ready: {url}")
            time.sleep(0.5)
    finally:
        code = process.poll()
        stop_group(process)
        for s, handler in previous.items():
            signal.signal(s, handler)
        for run in fail_unfinished_runs(home):
            out(f"run {run} was stopped with Dagster: marked as failed (a load rolls back)")
    if stop_requested:
        out("Dagster stopped.")
        return 0
    out(f"dagster dev exited with status {code}")
    return code or 1


def prepare_home(settings: Settings) -> Path:
    """<workspace>/dagster with a dagster.yaml (written only when missing) and the workspace.yaml."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    (home / "workspace.yaml").write_text(WORKSPACE_YAML)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def fail_unfinished_runs(home: Path) -> list[str]:
    """Mark the runs of the instance at `home` that are still starting or running as failed; their ids.

    Called when no Dagster process of the workspace is alive (before `dagster dev` starts, after its
    process group is gone), so such a run's process is gone: left as it was, it would hold the
    one run slot (max_concurrent_runs: 1) and keep every later run queued. Failing it lets the run
    queue move on, and the landing sensor retries a load that failed so (up to load_attempts).
    """
    import dagster as dg

    unfinished = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(statuses=unfinished))
        for run in runs:
            instance.report_run_failed(run, message="its process stopped with estore ui before the run finished")
    return [run.run_id for run in runs]


def answers(url: str) -> bool:
    """Whether the Dagster webserver at `url` answers over HTTP."""
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop_group(process: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """Ask dagster dev to shut down (SIGTERM), then kill whatever of its process group remains."""
    pgid = process.pid  # the leader of its own session and group
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(pgid)
    process.wait()
    deadline = time.monotonic() + 10
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is in the process group."""
    if not Path("/proc/self/stat").exists():  # no procfs (macOS): zombies count as alive here
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _default_signals() -> None:
    # a shell running us in the background ignores SIGINT; dagster dev maps SIGTERM onto its
    # SIGINT handler, so both must be the defaults for it to shut down when asked
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
