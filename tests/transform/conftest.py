from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from estore.transform import build

from .support import edge_case_events, random_events, read, write_warehouse


def month_one() -> list[dict]:
    return random_events(1, datetime(2019, 10, 1), 31, range(0, 40)) + edge_case_events()


def month_two() -> list[dict]:
    return random_events(2, datetime(2019, 11, 1), 30, range(20, 60))


def month_three() -> list[dict]:
    return random_events(3, datetime(2019, 12, 1), 31, range(30, 70))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """One warehouse, three monthly loads (one with an exact duplicate of a month-one row), one build."""
    ws = tmp_path_factory.mktemp("built")
    wh = ws / "warehouse.duckdb"
    one, two, three = month_one(), month_two(), month_three()
    # exact duplicates: one inside load 1, one of a load-1 row in load 2
    one.append(dict(one[3]))
    two.append(dict(one[5]))
    write_warehouse(wh, {1: one, 2: two, 3: three})
    started: list[str] = []
    result = build(wh, ws, progress=started.append)
    raw = read(wh, "select * from raw.events")
    return {"workspace": ws, "warehouse": wh, "result": result, "raw": raw, "started": started}


def events_frame(wh: Path) -> pd.DataFrame:
    return read(wh, "select * from marts.fct_events order by event_key")
