"""The time window: days, months, and how traffic varies by hour, weekday and season."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Share of a day's sessions starting in each UTC hour (a Russian store: evenings at UTC+3 busiest).
HOURLY = np.array(
    [1.0, 0.7, 0.6, 0.8, 1.4, 2.3, 3.2, 3.9, 4.4, 4.7, 4.9, 5.0,
     5.0, 5.1, 5.3, 5.6, 5.9, 6.1, 6.0, 5.4, 4.4, 3.2, 2.1, 1.4],
    dtype=np.float64,
)  # fmt: skip
HOURLY = HOURLY / HOURLY.sum()
WEEKDAY = np.array([1.02, 1.0, 0.99, 0.98, 0.97, 0.98, 1.06])  # Monday..Sunday
# Month level relative to October (REES46: Oct ~42M, Nov ~67M events).
MONTH_LEVEL = {1: 0.95, 2: 1.0, 3: 1.05, 4: 1.1, 5: 1.0, 6: 0.95, 7: 0.95, 8: 0.95, 9: 0.97, 10: 1.0,
               11: 1.45, 12: 1.1}  # fmt: skip


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def day_level(d: date) -> float:
    """Relative traffic of one day: month level x weekday x sale peaks (Nov 15-17 sale, Black Friday)."""
    level = MONTH_LEVEL[d.month] * WEEKDAY[d.weekday()]
    if d.month == 11:
        if 15 <= d.day <= 17:
            level *= 2.6
        bf = black_friday(d.year)
        delta = (d - bf).days
        if delta == 0:
            level *= 2.2
        elif delta in (-1, 1, 2, 3):  # the days around it, Cyber Monday included
            level *= 1.4
    if d.month == 12 and d.day >= 28 or d.month == 1 and d.day <= 3:
        level *= 0.8
    return level


@dataclass(frozen=True)
class Window:
    """Whole days from the first day of `start` for `months` months (UTC)."""

    start: date
    months: int

    @property
    def days(self) -> list[date]:
        end = self.end
        return [self.start + timedelta(days=i) for i in range((end - self.start).days)]

    @property
    def end(self) -> date:
        y, m = self.start.year, self.start.month - 1 + self.months
        return date(y + m // 12, m % 12 + 1, 1)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days

    def epoch(self, d: date) -> int:
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())

    def day_weights(self) -> np.ndarray:
        w = np.array([day_level(d) for d in self.days], dtype=np.float64)
        return w / w.sum()


def month_file_stem(d: date) -> str:
    return f"{d.year}-{MONTH_ABBR[d.month - 1]}"


def exact_split(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights that sum exactly to total (largest remainder)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    if short:
        out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    return out
