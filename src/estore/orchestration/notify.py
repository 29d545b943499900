"""Alerts: a Slack message when ESTORE_SLACK_WEBHOOK_URL is set, always a log line.

The webhook URL is a secret, so it is read from the environment only. A webhook that cannot be
reached never fails the caller: the alert is then logged with the reason it was not delivered.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request

WEBHOOK_ENV = "ESTORE_SLACK_WEBHOOK_URL"
logger = logging.getLogger("estore.alerts")


def notify(message: str, *, log: logging.Logger | None = None) -> bool:
    """Send `message` to Slack if a webhook is configured; log it either way. True when Slack took it."""
    log = log or logger
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        log.error(f"ESTORE ALERT: {message} (set {WEBHOOK_ENV} to send alerts to Slack)")
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": message}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            delivered = 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        log.error(f"ESTORE ALERT: {message} (Slack webhook failed: {exc})")
        return False
    log.error(f"ESTORE ALERT: {message} (sent to Slack)" if delivered else f"ESTORE ALERT: {message}")
    return delivered
