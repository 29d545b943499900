"""Exactly-once loading of REES46-format event files (.csv, .csv.gz, .parquet) into raw.events.

    from estore.ingest import load, discover
    results = load(["data/2019-Oct.csv.gz"], Path("estore-data/warehouse.duckdb"))

See loader for the rules (ledger, atomic per file, quarantine, replace).
"""

from estore.ingest.discover import discover
from estore.ingest.loader import FileResult, load
from estore.ingest.progress import ProgressEvent

__all__ = ["FileResult", "ProgressEvent", "discover", "load"]
