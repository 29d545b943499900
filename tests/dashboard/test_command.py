"""`estore dashboard` serves on 127.0.0.1 and leaves nothing running when it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from .support import free_port, port_open, stop_group, wait_http


def test_dashboard_serves_and_stops_cleanly_on_sigterm(workspace):
    port = free_port()
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), "dashboard", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health")
        assert f"http://127.0.0.1:{port}" in process.stdout.readline()
        os.kill(process.pid, signal.SIGTERM)  # the estore process only: it must stop Streamlit itself
        assert process.wait(20) == 0
        assert not port_open(port)
    finally:
        stop_group(process)
