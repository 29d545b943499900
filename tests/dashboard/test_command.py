"""`estore dashboard` serves on 127.0.0.1 and leaves nothing running when it is stopped."""

from __future__ import annotations

import os
import signal
import socket
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


def test_dashboard_refuses_a_port_in_use(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        command = [sys.executable, "-m", "estore", "--workspace", str(tmp_path), "dashboard", "--port", str(port)]
        out = subprocess.run(command, capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"cannot serve on http://127.0.0.1:{port}: Address already in use; stop what uses port {port}" in out.stderr
    assert "Ctrl-C to stop" not in out.stdout  # no URL announced for a server that never started
