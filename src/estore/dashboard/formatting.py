"""How numbers are written on the dashboard and in the report."""

from __future__ import annotations

import math


def money(value: float | None) -> str:
    """Money with thousands separators and cents: 69,194.73."""
    return "–" if _missing(value) else f"{value:,.2f}"


def money_compact(value: float | None) -> str:
    """Money for a KPI card: exact below ten million (69,194.73), in millions above (1,083.44M)."""
    if _missing(value) or abs(value) < 10_000_000:
        return money(value)
    return f"{value / 1e6:,.2f}M"


def count(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:,.0f}"


def percent(value: float | None, digits: int = 2) -> str:
    """A share as a percentage: 0.0589 -> 5.89%."""
    return "–" if _missing(value) else f"{value:.{digits}%}"


def change(current: float | None, previous: float | None) -> str | None:
    """Relative change against the previous period (+12.3%), None when there is nothing to compare with."""
    if _missing(current) or _missing(previous) or previous == 0:
        return None
    return f"{(current - previous) / previous:+.1%}"


def point_change(current: float | None, previous: float | None) -> str | None:
    """Change of a rate in percentage points (+0.42 pp), None when there is nothing to compare with."""
    if _missing(current) or _missing(previous):
        return None
    return f"{(current - previous) * 100:+.2f} pp"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
