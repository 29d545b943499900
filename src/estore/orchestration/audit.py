"""Per-file ingestion audit: are all of a file's rows accounted for, and how many were quarantined.

Counts the file's data lines independently of the loader (plain Python, see landing.count_data_lines)
and compares them with what the warehouse holds for the file's load: rows in raw.events plus rows
in raw.quarantine. Used by the Dagster ingestion checks; plain functions, no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from estore.orchestration.landing import count_data_lines
from estore.settings import Settings
from estore.warehouse import connect


@dataclass(frozen=True)
class LoadAudit:
    load_id: int
    data_lines: int  # counted from the file
    rows_loaded: int  # raw.events rows of the load
    rows_quarantined: int  # raw.quarantine rows of the load

    @property
    def accounted_for(self) -> bool:
        return self.rows_loaded + self.rows_quarantined == self.data_lines

    @property
    def quarantine_share(self) -> float:
        return self.rows_quarantined / self.data_lines if self.data_lines else 0.0


def audit_load(settings: Settings, path: Path, load_id: int) -> LoadAudit:
    """Audit load `load_id`, the one holding the file at `path` (new, or the earlier one it was skipped for)."""
    data_lines = count_data_lines(path)
    with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
        loaded = con.execute("select count(*) from raw.events where load_id = ?", [load_id]).fetchone()[0]
        quarantined = con.execute("select count(*) from raw.quarantine where load_id = ?", [load_id]).fetchone()[0]
    return LoadAudit(load_id, data_lines, int(loaded), int(quarantined))
