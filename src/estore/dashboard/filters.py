"""The filters every page and the report apply: a date range, a top-level category and a segment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    category: str | None = None  # a top-level category (dim_categories.level_1, 'unknown'); None = all
    segment: str | None = None  # an RFM segment; None = all

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError(f"date range ends before it starts: {self.date_from} .. {self.date_to}")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one, with the same category and segment."""
        end = self.date_from - timedelta(days=1)
        return replace(self, date_from=end - timedelta(days=self.days - 1), date_to=end)

    def describe(self) -> str:
        parts = [f"{self.date_from:%d %b %Y} – {self.date_to:%d %b %Y}"]
        parts.append(f"category {self.category}" if self.category else "all categories")
        parts.append(f"segment {self.segment}" if self.segment else "all segments")
        return " · ".join(parts)
