"""fct_events and fct_sessions are incremental: adding and replacing loads gives what a full rebuild gives.

built_at (the build that last wrote a row) differs by construction, so the comparisons leave it out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from estore.transform import build

from .conftest import month_one, month_two
from .support import _event, expected_events, read, write_warehouse

FCT = "select * exclude (built_at) from marts.fct_events order by event_key"
SESSIONS = "select * exclude (built_at) from marts.fct_sessions order by session_key"
STAMPS = "select event_key, user_session, user_id, built_at from marts.fct_events"
SESSION_STAMPS = "select session_key, user_session, user_id, built_at from marts.fct_sessions"


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
    first_stamps = {"events": read(wh, STAMPS), "sessions": read(wh, SESSION_STAMPS)}

    write_warehouse(wh, {2: month_two() + late_rows(one)})
    second = build(wh, ws)
    after_add = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "result": second}
    add_stamps = {"events": read(wh, STAMPS), "sessions": read(wh, SESSION_STAMPS)}
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


def test_built_at_marks_only_the_rewritten_pairs(incremental):
    """The second build stamps exactly the pairs it touched; fct_sessions carries the same stamps."""
    before, after = incremental["first_stamps"], incremental["add_stamps"]
    first_stamp = before["events"]["built_at"].unique()
    assert len(first_stamp) == 1
    events = after["events"]
    new = events[events["built_at"] > first_stamp[0]]
    raw = incremental["raw"]
    added_pairs = set(map(tuple, raw.loc[raw["load_id"] == 2, ["user_session", "user_id"]].dropna().values))
    pairs = set(zip(new["user_session"], new["user_id"], strict=True))
    # load 2's exact duplicate of a built row is dropped before sessionizing: its pair is untouched
    duplicate = (incremental["one"][0]["user_session"], incremental["one"][0]["user_id"])
    assert duplicate in added_pairs and duplicate not in pairs
    assert pairs == added_pairs - {duplicate}
    # a pair's rows share one stamp, and its sessions carry it
    assert (events.groupby(["user_session", "user_id"])["built_at"].nunique() == 1).all()
    pair_stamp = events.groupby(["user_session", "user_id"])["built_at"].first()
    sessions = after["sessions"].set_index(["user_session", "user_id"])["built_at"]
    assert (sessions == pair_stamp.loc[sessions.index]).all()
    # untouched rows kept the first build's stamp
    old = events[events["built_at"] == first_stamp[0]]
    assert len(old) + len(new) == len(events) and len(old) > len(new)


def test_sessions_of_vanished_pairs_are_deleted(incremental):
    """Pairs whose rows were all in the replaced load's dropped rows have no session left."""
    before = set(
        zip(
            incremental["after_add"]["sessions"]["user_session"],
            incremental["after_add"]["sessions"]["user_id"],
            strict=True,
        )
    )
    after = set(
        zip(
            incremental["after_replace"]["sessions"]["user_session"],
            incremental["after_replace"]["sessions"]["user_id"],
            strict=True,
        )
    )
    vanished = before - after
    assert len(vanished) >= 1
    events = incremental["after_replace"]["events"]
    assert not set(zip(events["user_session"], events["user_id"], strict=True)) & vanished
