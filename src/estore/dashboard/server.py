"""Running the dashboard: `streamlit run` of the packaged app as a child process on 127.0.0.1.

The child gets its own process group, so stopping the dashboard (Ctrl-C, SIGTERM) stops Streamlit
and everything it started, and nothing is left listening.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from estore.ports import check_free
from estore.settings import Settings

APP = Path(__file__).with_name("app.py")
HOST = "127.0.0.1"


def command(port: int, host: str = HOST) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--theme.base", "light",
    ]  # fmt: skip


def url(port: int, host: str = HOST) -> str:
    return f"http://{host}:{port}"


def serve(settings: Settings, port: int, host: str = HOST, on_start: Callable[[str], None] | None = None) -> int:
    """Run the dashboard for the settings' workspace until it exits or this process is interrupted.

    Returns Streamlit's exit code (0 when stopped by Ctrl-C or SIGTERM).
    """
    check_free(host, port)
    env = {**os.environ, "ESTORE_WORKSPACE": str(settings.workspace)}
    child = subprocess.Popen(command(port, host), env=env, start_new_session=True)
    if on_start:
        on_start(url(port, host))

    def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(child)


def stop(child: subprocess.Popen, timeout: float = 10) -> None:
    """Stop the child's whole process group: SIGTERM, then SIGKILL if it does not exit in time."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        pass
