"""The knobs of the generator and their validation."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from estore.errors import EstoreError


@dataclass(frozen=True)
class GenerationConfig:
    """What to generate. `events` counts clean events; dirt (duplicates, malformed lines) comes on top.

    BG/NBD and Gamma-Gamma parameters are the known truth of the buyers' repeat purchasing
    (time unit: weeks) and spend per transaction; they default to the published CDNOW estimates.
    """

    events: int = 3_000_000
    start: str = "2019-10"
    months: int = 2
    seed: int = 42
    gzip: bool = False
    # behaviour
    buyer_share: float = 0.12  # share of the users seen in the files who buy at least once
    purchase_session_share: float = 0.059  # share of sessions that end in a purchase
    events_per_session: float = 4.6  # mean events per session
    session_reuse_rate: float = 0.02  # share of sessions whose id repeats an earlier one after > 1 hour
    # CLV truth
    bgnbd_r: float = 0.243
    bgnbd_alpha: float = 4.414
    bgnbd_a: float = 0.793
    bgnbd_b: float = 2.426
    gg_p: float = 6.25
    gg_q: float = 3.74
    gg_gamma: float = 15.44
    # dirt
    duplicate_rate: float = 0.005  # share of rows written twice (exact duplicate lines)
    multi_brand_product_rate: float = 0.01  # share of branded products also sold under a second brand
    missing_session_rate: float = 0.001  # share of rows with an empty user_session
    malformed_rate: float = 1e-5  # malformed lines per event (at least one of each kind from 10k events)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fail(option: str, message: str) -> EstoreError:
    return EstoreError(f"--{option.replace('_', '-')} {message}")


def parse_start(start: str) -> date:
    """`YYYY-MM` → the first day of that month."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(start))
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1970 <= int(m.group(1)) <= 2200:
        raise _fail("start", f"must be a month as YYYY-MM (e.g. 2019-10), got {start!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


MAX_EVENTS = 2_000_000_000  # five times the whole REES46 set


def validate(config: GenerationConfig) -> None:
    """Raise EstoreError naming the first option whose value cannot work."""
    c = config
    if not isinstance(c.events, int) or c.events < 1000:
        raise _fail("events", f"must be an integer >= 1000, got {c.events!r}")
    if c.events > MAX_EVENTS:
        raise _fail(
            "events",
            f"must be <= {MAX_EVENTS:,} (the users' draws are held in memory: 3.8 GB at that size), got {c.events:,}",
        )
    if not isinstance(c.months, int) or c.months < 1:
        raise _fail("months", f"must be >= 1, got {c.months!r}")
    if c.months > 120:
        raise _fail("months", f"must be <= 120, got {c.months!r}")
    parse_start(c.start)
    if not isinstance(c.seed, int) or c.seed < 0:
        raise _fail("seed", f"must be a non-negative integer, got {c.seed!r}")
    for name in ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gg_p", "gg_q", "gg_gamma"):
        value = getattr(c, name)
        if not isinstance(value, int | float) or not value > 0 or value != value or value == float("inf"):
            raise _fail(name, f"must be a positive number, got {value!r}")
    if c.gg_q <= 1:
        raise _fail("gg_q", f"must be > 1 (the mean spend is infinite otherwise), got {c.gg_q!r}")
    ranges = {
        "buyer_share": (0.001, 1.0),
        "purchase_session_share": (0.0001, 0.5),
        "session_reuse_rate": (0.0, 0.2),
        "duplicate_rate": (0.0, 0.5),
        "multi_brand_product_rate": (0.0, 1.0),
        "missing_session_rate": (0.0, 0.5),
        "malformed_rate": (0.0, 0.01),
    }
    for name, (lo, hi) in ranges.items():
        value = getattr(c, name)
        if not isinstance(value, int | float) or not lo <= value <= hi:
            raise _fail(name, f"must be between {lo:g} and {hi:g}, got {value!r}")
    if not 2.0 <= c.events_per_session <= 50.0:
        raise _fail("events_per_session", f"must be between 2 and 50, got {c.events_per_session!r}")
