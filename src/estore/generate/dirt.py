"""Dirt a loader must cope with: exact duplicate lines and malformed lines (empty sessions and
products under two brands are made where the rows are built)."""

from __future__ import annotations

import numpy as np

MALFORMED_KINDS = ("bad_timestamp", "unknown_event_type", "non_numeric_price", "wrong_column_count")
UNKNOWN_EVENT_TYPES = ("remove_from_cart", "wishlist", "click")
BAD_PRICES = ("N/A", "abc", "{price}O", "--")
MIN_EVENTS_FOR_EVERY_KIND = 10_000


def plan_malformed(rng: np.random.Generator, events: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Clean-row positions after which a malformed line goes, and each line's kind (sorted by position)."""
    n = int(rng.binomial(events, rate)) if rate > 0 else 0
    if rate > 0 and events >= MIN_EVENTS_FOR_EVERY_KIND:
        n = max(n, len(MALFORMED_KINDS))
    n = min(n, events)
    positions = np.sort(rng.choice(events, n, replace=False)).astype(np.int64)
    kinds = rng.integers(0, len(MALFORMED_KINDS), n)
    if n >= len(MALFORMED_KINDS):
        kinds[rng.choice(n, len(MALFORMED_KINDS), replace=False)] = np.arange(len(MALFORMED_KINDS))
    return positions, kinds.astype(np.int8)


def pick_duplicates(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Rows (of n) that are written twice, as adjacent identical lines."""
    k = int(rng.binomial(n, rate)) if rate > 0 and n else 0
    return np.sort(rng.choice(n, k, replace=False)).astype(np.int64) if k else np.zeros(0, dtype=np.int64)


def malformed_line(rng: np.random.Generator, fields: list[str], kind: int) -> str:
    """A copy of a good row with exactly one defect of the given kind."""
    f = list(fields)
    name = MALFORMED_KINDS[kind]
    if name == "bad_timestamp":
        day, _, _ = f[0].partition(" ")
        y, m, _ = day.split("-")
        variant = int(rng.integers(0, 3))
        if variant == 0:  # day and hour out of range
            f[0] = f"{y}-{m}-{rng.integers(32, 40)} {rng.integers(24, 30)}:{rng.integers(60, 70)}:00 UTC"
        elif variant == 1:
            f[0] = "not a timestamp"
        else:
            f[0] = f"{y}-{m}-00 00:00:00 UTC"
    elif name == "unknown_event_type":
        f[1] = UNKNOWN_EVENT_TYPES[int(rng.integers(0, len(UNKNOWN_EVENT_TYPES)))]
    elif name == "non_numeric_price":
        f[6] = BAD_PRICES[int(rng.integers(0, len(BAD_PRICES)))].format(price=f[6])
    else:  # one field too few or one too many
        f = f[:-1] if rng.random() < 0.5 else [*f, "extra"]
    return ",".join(f) + "\n"
