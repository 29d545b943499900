"""Checking that a port is free before a server (dashboard, Dagster UI) is started on it."""

from __future__ import annotations

import socket

from estore.errors import EstoreError


def check_free(host: str, port: int) -> None:
    """Refuse a port something already listens on, before anything says where a server is."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers' own sockets do
        try:
            probe.bind((host, port))
        except OSError as error:
            raise EstoreError(
                f"cannot serve on http://{host}:{port}: {error.strerror}; stop what uses port {port} "
                "or pass --port with a free one"
            ) from None
