"""fct_events and fct_sessions are incremental: adding and replacing loads gives what a full rebuild gives.

built_at (the build that last wrote a row) differs by construction, so the comparisons leave it out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from estore.errors import EstoreError
from estore.transform import build

from .conftest import late_rows, month_one, month_two
from .support import _event, expected_events, read, write_warehouse

FCT = "select * exclude (built_at) from marts.fct_events order by event_key"
SESSIONS = "select * exclude (built_at) from marts.fct_sessions order by session_key"
STAMPS = "select event_key, user_session, user_id, built_at from marts.fct_events"
SESSION_STAMPS = "select session_key, user_session, user_id, built_at from marts.fct_sessions"
# the marts summed from the incremental int_session_groups_by_day, int_session_categories and
# int_products_by_load
GROUP_MARTS = {
    "dim_products": "product_id",
    "dim_categories": "category_id",
    "brand_performance": "brand",
    "funnel_by_brand": "brand",
    "category_performance": "category_code",
    "funnel_by_category": "category_level_1",
    "dashboard_category_daily": "session_date, category_level_1, segment",
}
GROUP_STAMPS = (
    "select session_date, dimension, group_value, built_at from intermediate.int_session_groups_by_day order by all"
)
CATEGORY_STAMPS = "select distinct session_date, built_at from intermediate.int_session_categories order by all"
# dashboard_category_daily without its ancestor dim_user_rfm: rebuilding that alone would leave the
# marts that point at it stale (and their relationship tests failing)
REBUILD = "+fct_sessions +brand_performance +funnel_by_brand +category_performance +funnel_by_category"
REBUILD += " +int_session_categories dashboard_category_daily"


def group_marts(wh) -> dict[str, pd.DataFrame]:
    return {mart: read(wh, f"select * from marts.{mart} order by {key}") for mart, key in GROUP_MARTS.items()}


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    ws = tmp_path_factory.mktemp("incremental")
    wh = ws / "warehouse.duckdb"
    one = month_one()
    write_warehouse(wh, {1: one})
    build(wh, ws)
    first = read(wh, FCT)
    first_stamps = {"events": read(wh, STAMPS), "sessions": read(wh, SESSION_STAMPS)}

    month_two_rows = month_two() + late_rows(one)
    write_warehouse(wh, {2: month_two_rows})
    second = build(wh, ws)
    after_add = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "groups": group_marts(wh), "result": second}
    statuses = {
        "users": read(wh, "select user_id, activity_status from marts.dim_users order by user_id"),
        "current": read(
            wh,
            "select user_id, activity_status from snapshots.snap_user_activity_status "
            "where dbt_valid_to is null order by user_id",
        ),
        "closed": read(wh, "select user_id from snapshots.snap_user_activity_status where dbt_valid_to is not null"),
    }
    add_stamps = {
        "events": read(wh, STAMPS),
        "sessions": read(wh, SESSION_STAMPS),
        "groups": read(wh, GROUP_STAMPS),
        "categories": read(wh, CATEGORY_STAMPS),
    }
    build(wh, ws, select=REBUILD)  # nothing new
    noop_stamps = {"groups": read(wh, GROUP_STAMPS), "categories": read(wh, CATEGORY_STAMPS)}
    build(wh, ws, full_refresh=True, select=REBUILD)
    rebuilt_add = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "groups": group_marts(wh)}

    # load 1's file is replaced by a version without its first 40 rows (the loader swaps the rows)
    with duckdb.connect(str(wh)) as con:
        con.execute("update raw.load_ledger set status = 'replaced' where load_id = 1")
        con.execute("delete from raw.events where load_id = 1")
    write_warehouse(wh, {3: one[40:]})
    build(wh, ws, select=REBUILD)
    after_replace = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "groups": group_marts(wh)}
    build(wh, ws, full_refresh=True, select=REBUILD)
    rebuilt_replace = {"events": read(wh, FCT), "sessions": read(wh, SESSIONS), "groups": group_marts(wh)}
    raw = read(wh, "select * from raw.events")
    return locals()


def test_status_snapshot_follows_every_user_after_a_month_is_added(incremental):
    """After a month is added, the snapshot's current rows equal dim_users, including buyers whose
    status moved only because the as-of date did."""
    statuses = incremental["statuses"]
    pd.testing.assert_frame_equal(statuses["current"], statuses["users"])
    month_two_users = {row["user_id"] for row in incremental["month_two_rows"]}
    moved_by_time = set(statuses["closed"]["user_id"]) - month_two_users
    assert moved_by_time, "the fixture should age some buyer into another status"


def test_adding_a_load_equals_a_full_rebuild(incremental):
    pd.testing.assert_frame_equal(incremental["after_add"]["events"], incremental["rebuilt_add"]["events"])
    pd.testing.assert_frame_equal(incremental["after_add"]["sessions"], incremental["rebuilt_add"]["sessions"])
    assert len(incremental["after_add"]["events"]) > len(incremental["first"])


@pytest.mark.parametrize("stage", ["add", "replace"])
def test_marts_kept_incrementally_equal_a_full_rebuild(incremental, stage):
    """Month-one events moved to another brand and category by month two's rows, and sessions
    deleted with a replaced load, are reflected exactly as a full rebuild has them."""
    after, rebuilt = incremental[f"after_{stage}"]["groups"], incremental[f"rebuilt_{stage}"]["groups"]
    for mart in GROUP_MARTS:
        pd.testing.assert_frame_equal(after[mart], rebuilt[mart], check_exact=False, rtol=1e-12, obj=mart)


@pytest.mark.parametrize("table", ["groups", "categories"])
def test_a_build_without_changes_recomputes_no_day(incremental, table):
    pd.testing.assert_frame_equal(incremental["noop_stamps"][table], incremental["add_stamps"][table])


def test_events_moved_to_another_group_are_counted_there(incremental):
    groups = incremental["after_replace"]["groups"]
    events = expected_events(incremental["raw"], live_loads={2, 3})
    views = events[events.event_type == "view"]
    labels = events.dropna(subset=["brand"]).groupby(["product_id", "brand"]).size().rename("n").reset_index()
    canonical = labels.sort_values(["product_id", "n", "brand"], ascending=[True, False, True]).drop_duplicates(
        "product_id"
    )
    lg = set(canonical.product_id[canonical.brand == "lg"])
    assert 5 in lg and (views.brand[views.product_id == 5] == "samsung").any()
    brands = groups["brand_performance"].set_index("brand")
    assert brands.loc["lg", "views"] == views.product_id.isin(lg).sum()
    codes = groups["category_performance"].set_index("category_code")
    assert "computers.components.cpu.intel" not in codes.index
    assert codes.loc["electronics.cpu", "category_level_1"] == "electronics"
    assert codes.loc["electronics.cpu", "views"] == (views.category_id == 12).sum()


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


def test_replaced_load_rows_disappear(incremental):
    events = incremental["after_replace"]["events"]
    assert 1 not in set(events["load_id"])
    pd.testing.assert_frame_equal(events, incremental["rebuilt_replace"]["events"])
    pd.testing.assert_frame_equal(incremental["after_replace"]["sessions"], incremental["rebuilt_replace"]["sessions"])
    # row by row against the raw rows of the live loads
    expected = expected_events(incremental["raw"], live_loads={2, 3})
    columns = ["event_time", "event_type", "product_id", "price", "user_id", "user_session", "load_id"]
    got = events[columns].sort_values(columns).reset_index(drop=True)
    want = expected[columns].sort_values(columns).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


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
    first = incremental["first"]
    untouched = [pair not in pairs for pair in zip(first["user_session"], first["user_id"], strict=True)]
    assert len(old) + len(new) == len(events) and len(old) == sum(untouched) > 0


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


def test_an_incremental_table_of_another_shape_asks_for_a_full_refresh(incremental, tmp_path):
    """A warehouse whose fct_events has other columns (built by another estore version) fails with
    the command that fixes it, and builds once that command is run."""
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(incremental["wh"].read_bytes())
    with duckdb.connect(str(wh)) as con:
        con.execute("alter table marts.fct_events drop column built_at")  # as before built_at existed
    with pytest.raises(EstoreError, match=r"(?s)model fct_events.*out of sync.*estore build --full-refresh"):
        build(wh, tmp_path, select="fct_events")
    build(wh, tmp_path, select="fct_events", full_refresh=True)
    pd.testing.assert_frame_equal(read(wh, FCT), incremental["rebuilt_replace"]["events"])


def test_staging_tests_read_only_the_loads_a_build_adds(incremental):
    """The warning on rows without a session counts those of the loads a build adds: none in load 2,
    though load 1, built before, has some."""
    assert sum(row["user_session"] is None for row in incremental["one"]) > 0
    assert not any(row["user_session"] is None for row in incremental["month_two_rows"])
    warn = incremental["second"].node("not_null_stg_events_user_session")
    assert (warn.status, warn.failures) == ("pass", 0)


def test_fact_tests_read_the_rows_the_last_build_wrote(incremental, tmp_path):
    """The data tests of fct_events read only the rows with its newest built_at: a bad row the last
    build wrote fails them, a row an earlier build wrote is not read again."""
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(incremental["wh"].read_bytes())  # after a full refresh: every row has one stamp
    with duckdb.connect(str(wh)) as con:
        newer, older = (
            con.execute(f"select min(event_key) from marts.fct_events where load_id {op} 3").fetchone()[0]
            for op in ("=", "<>")
        )
        con.execute("update marts.fct_events set price = -1 where event_key in (?, ?)", [newer, older])
    with pytest.raises(EstoreError, match="column_name=price, rule=non_negative, failing_rows=2"):
        build(wh, tmp_path, select="column_checks_fct_events")
    with duckdb.connect(str(wh)) as con:  # as if load 3 came in a later build than the others
        con.execute("update marts.fct_events set built_at = built_at - interval 1 day where load_id <> 3")
    with pytest.raises(EstoreError, match="column_name=price, rule=non_negative, failing_rows=1"):
        build(wh, tmp_path, select="column_checks_fct_events")


def test_session_relationship_reads_the_sessions_of_the_same_build(incremental, tmp_path):
    """Every event the last build wrote must find its session among the sessions that build wrote:
    one left with an older stamp fails the test once per event of that session. When fct_sessions
    was not rebuilt with fct_events (no session has the events' stamp), every session is read."""
    wh = tmp_path / "warehouse.duckdb"
    wh.write_bytes(incremental["wh"].read_bytes())
    test = "relationships_same_build_fct_events_session_key__session_key__ref_fct_sessions_"
    assert build(wh, tmp_path, select=test).node(test).status == "pass"
    with duckdb.connect(str(wh)) as con:
        key, events = con.execute(
            "select session_key, count(*) from marts.fct_events group by session_key order by 2 desc, 1 limit 1"
        ).fetchone()
        con.execute("update marts.fct_sessions set built_at = built_at - interval 1 day where session_key = ?", [key])
    with pytest.raises(EstoreError, match=rf"(?s)Got {events} results.*child_value={key}"):
        build(wh, tmp_path, select=test)
    with duckdb.connect(str(wh)) as con:
        con.execute("update marts.fct_sessions set built_at = built_at - interval 1 day where session_key <> ?", [key])
    assert build(wh, tmp_path, select=test).node(test).status == "pass"
    with duckdb.connect(str(wh)) as con:
        con.execute("delete from marts.fct_sessions where session_key = ?", [key])
    with pytest.raises(EstoreError, match=rf"(?s)Got {events} results.*child_value={key}"):
        build(wh, tmp_path, select=test)


@pytest.fixture(scope="module")
def regrouping(tmp_path_factory):
    """Two months built; then December rows move product 5 (samsung) to 'lg' and category 12 to
    another top-level category, in a build that stops before int_session_groups_by_day and
    int_session_categories (as a failed build would); then more December rows move product 5 on
    to 'huawei', and a full incremental build runs."""
    ws = tmp_path_factory.mktemp("regrouping")
    wh = ws / "warehouse.duckdb"
    write_warehouse(wh, {1: month_one(), 2: month_two()})
    build(wh, ws)
    before = read(wh, GROUP_STAMPS)

    def relabel(brand: str, count: int, session: str, day: int) -> list[dict]:
        start = datetime(2019, 12, day, 9, 0)
        return [_event(start + timedelta(minutes=i), "view", 5, 950, session, brand=brand) for i in range(count)]

    recode = {**_event(datetime(2019, 12, 2, 9, 0), "view", 2, 951, "recode"), "category_code": "electronics.cpu"}
    write_warehouse(wh, {3: relabel("lg", 100, "to-lg", 1) + [recode]})
    build(wh, ws, exclude="int_session_groups_by_day+ int_session_categories+")  # as if they had failed
    write_warehouse(wh, {4: relabel("huawei", 300, "to-huawei", 3)})
    build(wh, ws)
    after = read(wh, GROUP_STAMPS)
    table = read(wh, "select * exclude (built_at) from intermediate.int_session_groups_by_day order by all")
    marts = group_marts(wh)
    build(wh, ws, full_refresh=True, select=REBUILD)
    rebuilt = read(wh, "select * exclude (built_at) from intermediate.int_session_groups_by_day order by all")
    return locals()


def test_regrouped_events_are_counted_as_a_full_rebuild_counts_them(regrouping):
    pd.testing.assert_frame_equal(regrouping["table"], regrouping["rebuilt"], check_exact=False, rtol=1e-12)
    for mart, frame in group_marts(regrouping["wh"]).items():
        pd.testing.assert_frame_equal(regrouping["marts"][mart], frame, check_exact=False, rtol=1e-12, obj=mart)
    brands = regrouping["marts"]["brand_performance"].set_index("brand")
    product_5 = read(
        regrouping["wh"], "select count(*) as n from marts.fct_events where product_id = 5 and event_type = 'view'"
    )
    assert brands.loc["huawei", "views"] == product_5["n"][0] > 400


def test_a_regroup_recomputes_only_the_groups_events_left_and_joined(regrouping):
    """Before December, only the keys of the groups product 5 and category 12 were counted under
    before (samsung; the 'computers' codes, now gone) and now (huawei, 'electronics.cpu',
    'electronics') are rewritten, on the days of the sessions holding their events. Every other
    key keeps its row and stamp, 'lg' too: the build that stopped early assigned product 5 to it,
    but no build counted it there."""
    before, after = regrouping["before"], regrouping["after"]
    first_stamp = before["built_at"].max()
    keys = ["session_date", "dimension", "group_value"]
    december = pd.Timestamp("2019-12-01")
    old_days = after[after["session_date"] < december]

    def session_days(condition: str) -> set:
        days = read(
            regrouping["wh"],
            "select distinct cast(sessions.session_start as date) as day from marts.fct_events as events"
            " join marts.fct_sessions as sessions on events.session_key = sessions.session_key"
            f" where {condition} and sessions.session_start < '2019-12-01'",
        )
        return set(pd.to_datetime(days["day"]))

    product_days, category_days = session_days("events.product_id = 5"), session_days("events.category_id = 12")
    assert len(product_days) > 1 and len(category_days) > 1
    touched = {(day, "brand", group) for day in product_days for group in ("samsung", "huawei")} | {
        (day, dimension, group)
        for day in category_days
        for dimension, group in (("category_code", "electronics.cpu"), ("category_level_1", "electronics"))
    }
    rewritten = {tuple(key) for key in old_days.loc[old_days["built_at"] > first_stamp, keys].values}
    assert rewritten == touched & {tuple(key) for key in old_days[keys].values}
    assert {(day, "brand", "huawei") for day in product_days} <= rewritten
    assert "lg" not in {key[2] for key in rewritten} and (old_days["group_value"] == "lg").any()
    kept = old_days[old_days["built_at"] == first_stamp].drop(columns="built_at")
    before_old = before[before["session_date"] < december].drop(columns="built_at")
    gone = before_old["group_value"].str.startswith("computers")
    assert set(before_old.loc[gone, "session_date"]) == category_days  # the code and its top level vanish
    touched_before = before_old[keys].apply(tuple, axis=1).isin(touched)
    expected_kept = before_old[~gone & ~touched_before]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), expected_kept.reset_index(drop=True))


def test_a_vanished_load_is_counted_out_of_days_nothing_rewrote(tmp_path):
    """A load whose rows vanish (its file replaced by an empty one) takes its sessions out of
    days where no other session changed: dashboard_category_daily then equals a full rebuild, and
    int_loads counts no raw rows for it."""
    wh = tmp_path / "warehouse.duckdb"
    extra = [
        _event(datetime(2019, 10, day, 12, 0) + timedelta(minutes=i), etype, 3, 990 + day, f"extra-{day}")
        for day in (5, 12)
        for i, etype in enumerate(["view", "cart", "purchase"])
    ]
    write_warehouse(wh, {1: month_one(), 2: extra})
    build(wh, tmp_path)
    with duckdb.connect(str(wh)) as con:
        con.execute("update raw.load_ledger set status = 'replaced' where load_id = 2")
        con.execute("delete from raw.events where load_id = 2")
    build(wh, tmp_path, select=REBUILD)
    loads = read(wh, "select load_id, raw_rows, is_live from intermediate.int_loads order by load_id")
    assert loads.values.tolist() == [[1, len(month_one()), True], [2, 0, False]]
    mart = "select * from marts.dashboard_category_daily order by all"
    after, days = read(wh, mart), read(wh, CATEGORY_STAMPS)
    build(wh, tmp_path, select=REBUILD, full_refresh=True)
    pd.testing.assert_frame_equal(after, read(wh, mart), check_exact=False, rtol=1e-12)
    rewritten = set(days.session_date[days.built_at == days.built_at.max()].dt.day)
    assert rewritten == {5, 12}
