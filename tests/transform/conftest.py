from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from estore.transform import build

from .support import _event, edge_case_events, random_events, read, write_warehouse


def month_one() -> list[dict]:
    return random_events(1, datetime(2019, 10, 1), 31, range(0, 40)) + edge_case_events()


def month_two() -> list[dict]:
    return random_events(2, datetime(2019, 11, 1), 30, range(20, 60))


def month_three() -> list[dict]:
    return random_events(3, datetime(2019, 12, 1), 31, range(30, 70))


def late_rows(one: list[dict]) -> list[dict]:
    """Rows that change sessions already built (a bridge, a continuation and a duplicate), and rows
    that move month-one events to other groups: product 5 (samsung) is now mostly sold as 'lg',
    and category 12's newest code puts it under another top-level category."""
    base = datetime(2019, 10, 20, 10, 0, 0)
    relabel = [
        _event(datetime(2019, 11, 3, 9, 0) + timedelta(minutes=i), "view", 5, 950, "relabel", brand="lg")
        for i in range(100)
    ]
    recode = {**_event(datetime(2019, 11, 30, 23, 0), "view", 2, 951, "recode"), "category_code": "electronics.cpu"}
    assert recode["category_id"] == 12
    return (
        relabel
        + [recode]
        + [
            # between the two events of 'gap61' (61 min apart): merges its two sessions into one
            _event(base + timedelta(minutes=30), "cart", 2, 901, "gap61"),
            # 'gap60' continues 50 minutes after its last event: same session, new end
            _event(base + timedelta(minutes=170), "purchase", 1, 900, "gap60"),
            # an exact duplicate of a row already built
            dict(one[0]),
        ]
    )


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
