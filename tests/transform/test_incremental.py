"""fct_events is incremental: adding and replacing loads gives what a full rebuild gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from estore.transform import build

from .conftest import month_one, month_two
from .support import _event, expected_events, read, write_warehouse

FCT = "select * from marts.fct_events order by event_key"
SESSIONS = "select * from marts.fct_sessions order by session_key"


def late_rows(one: list[dict]) -> list[dict]:
    """Rows that change sessions already built: a bridge, a continuation and a duplicate."""
    base = datetime(2019, 10, 20, 10, 0, 0)
    return [
        # between the two events of 'gap61' (61 min apart): merges its two sessions into one
        _event(base + timedelta(minutes=30), "cart", 2, 901, "gap61"),
        # 'gap60' continues 50 minutes after its last event: same session, new end
        _event(base + timedelta(minutes=170), "purchase", 1, 900, "gap60"),
        # an exact duplicate of a row already built
        dict(one[0]),
    ]


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    ws = tmp_path_factory.mktemp("incremental")
    wh = ws / "warehouse.duckdb"
    one = month_one()
    write_warehouse(wh, {1: one})
    build(wh, ws)
    first = read(wh, FCT)

    write_warehouse(wh, {2: month_two() + late_rows(one)})
    second = build(wh, ws)
    after_add = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "result": second}
    build(wh, ws, full_refresh=True, select="+fct_sessions")
    rebuilt_add = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS)}

    # load 1's file is replaced by a version without its first 40 rows (the loader swaps the rows)
    with duckdb.connect(str(wh)) as con:
        con.execute("update raw.load_ledger set status = 'replaced' where load_id = 1")
        con.execute("delete from raw.events where load_id = 1")
    write_warehouse(wh, {3: one[40:]})
    build(wh, ws, select="+fct_sessions")
    after_replace = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS)}
    build(wh, ws, full_refresh=True, select="+fct_sessions")
    rebuilt_replace = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS)}
    raw = read(wh, "select * from raw.events")
    return locals()


def test_adding_a_load_equals_a_full_rebuild(incremental):
    pd.testing.assert_frame_equal(incremental["after_add"]["events"], incremental["rebuilt_add"]["events"])
    pd.testing.assert_frame_equal(incremental["after_add"]["sessions"], incremental["rebuilt_add"]["sessions"])
    assert len(incremental["after_add"]["events"]) > len(incremental["first"])


def test_late_rows_resessionize_existing_sessions(incremental):
    sessions = incremental["after_add"]["sessions"]
    per_id = sessions.groupby("user_session").size()
    assert per_id["gap61"] == 1  # bridged
    gap60 = sessions[sessions["user_session"] == "gap60"].iloc[0]
    assert per_id["gap60"] == 1 and gap60["events"] == 4 and gap60["duration_seconds"] == 170 * 60
    first = incremental["first"]
    assert first[first["user_session"] == "gap61"]["session_key"].nunique() == 2
    # the duplicate of a built row was not added twice
    events = incremental["after_add"]["events"]
    assert events["event_key"].is_unique


def test_incremental_build_reads_only_the_new_load(incremental):
    events = incremental["after_add"]["events"]
    first = incremental["first"]
    # rows of load 1 outside the touched sessions are untouched (same session keys)
    untouched = first[~first["user_session"].isin(["gap60", "gap61"])].set_index("event_key")["session_key"]
    assert events.set_index("event_key").loc[untouched.index, "session_key"].equals(untouched)
    assert set(events["load_id"]) == {1, 2}


def test_replaced_load_rows_disappear(incremental):
    events = incremental["after_replace"]["events"]
    assert 1 not in set(events["load_id"])
    pd.testing.assert_frame_equal(events, incremental["rebuilt_replace"]["events"])
    pd.testing.assert_frame_equal(incremental["after_replace"]["sessions"], incremental["rebuilt_replace"]["sessions"])
    expected = expected_events(incremental["raw"], live_loads={2, 3})
    assert len(events) == len(expected)
