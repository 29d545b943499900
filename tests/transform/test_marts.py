"""The marts of one build over hand-made raw rows, checked against a pandas oracle."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from estore.transform import DBT_PROJECT_DIR, unit_test

from .support import expected_events, expected_rfm, expected_users, read


@pytest.fixture(scope="module")
def oracle(built):
    events = expected_events(built["raw"], live_loads={1, 2, 3})
    users = expected_users(events)
    return {"events": events, "users": users, "rfm": expected_rfm(users)}


def test_build_reports_every_node(built):
    result = built["result"]
    assert result.success
    names = {n.name for n in result.nodes}
    assert {"fct_events", "fct_sessions", "dim_users", "dim_user_rfm", "metrics_churn"} <= names
    assert {"snap_user_rfm_segment", "snap_user_activity_status"} <= names
    assert not result.failed
    # the only warning: the sessionless rows, counted
    warn = result.node("not_null_stg_events_user_session")
    assert warn.status == "warn"
    assert warn.failures == built["raw"]["user_session"].isna().sum() == 2
    # progress was reported per node as dbt started it
    assert names <= set(built["started"])
    # a data build leaves the unit tests (fixed inputs) to test_unit_tests_pass
    assert not [n for n in result.nodes if n.resource_type == "unit_test"]


def test_unit_tests_pass(built):
    result = unit_test(built["warehouse"], built["workspace"])
    assert {n.resource_type for n in result.nodes} == {"unit_test"}
    assert all(n.status == "pass" for n in result.nodes)
    manifest = json.loads((result.target_path / "manifest.json").read_text())
    defined = {u["name"] for u in manifest["unit_tests"].values()}
    assert {n.name for n in result.nodes} == defined
    assert {
        "clv_customer_summary_merges_same_day_purchases",
        "cohort_retention_counts_calendar_months",
        "dashboard_sessions_daily_counts_stages_per_segment",
        "funnel_daily_counts_cart_abandonment",
        "segment_migration_reads_segments_by_data_date",
    } <= defined


def test_nothing_written_inside_the_package(built):
    leftovers = {p.name for p in DBT_PROJECT_DIR.rglob("*")} & {
        "target", "logs", "dbt_packages", "package-lock.yml", ".user.yml", "partial_parse.msgpack",
    }  # fmt: skip
    assert not leftovers
    assert (built["workspace"] / "dbt" / "target" / "run_results.json").exists()
    assert (built["workspace"] / "logs" / "dbt.log").exists()


def test_fct_events_drops_duplicates_and_sessionless_rows(built, oracle):
    raw, expected = built["raw"], oracle["events"]
    events = read(built["warehouse"], "select * from marts.fct_events")
    # two exact duplicates, one that differs only in the case and spaces of its brand, two rows
    # without a session
    assert len(raw) - len(events) == 3 + 2
    assert len(events) == len(expected)
    assert events["event_key"].is_unique
    got = events.groupby(["user_id", "event_type"]).size()
    want = expected.groupby(["user_id", "event_type"]).size()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    # row by row, with each duplicate's load: the cross-load duplicate keeps the earlier load
    columns = ["event_time", "event_type", "product_id", "user_id", "user_session", "load_id"]
    got = events[columns].sort_values(columns).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected[columns].sort_values(columns).reset_index(drop=True), check_dtype=False)
    day = events["event_time"].dt.normalize()
    assert (pd.to_datetime(events["event_date"]) == day).all()
    assert (pd.to_datetime(events["event_month"]) == day - pd.to_timedelta(day.dt.day - 1, unit="D")).all()


def test_sessions_split_after_the_timeout(built, oracle):
    wh = built["warehouse"]
    sessions = read(wh, "select * from marts.fct_sessions")
    expected = oracle["events"].groupby(["user_session", "user_id", "session_start"]).size()
    assert len(sessions) == len(expected)
    per_id = sessions.groupby("user_session").size()
    assert per_id["gap60"] == 1
    assert per_id["gap61"] == 2
    assert per_id["reused"] == 3  # two for user 902 (2 h apart), one for user 903
    got = sessions.set_index(["user_session", "user_id", "session_start"])["events"].sort_index()
    pd.testing.assert_series_equal(got, expected.sort_index(), check_names=False, check_dtype=False)
    gap60 = sessions[sessions["user_session"] == "gap60"].iloc[0]
    assert gap60["duration_seconds"] == 7200 and gap60["funnel_stage"] == "purchase"
    # every event's session_key is a session, and the events add up
    joined = read(
        wh,
        "select count(*) as n, count(s.session_key) as matched from marts.fct_events e "
        "left join marts.fct_sessions s using (session_key)",
    )
    assert joined["n"][0] == joined["matched"][0] == sessions["events"].sum()


def test_session_conversion_and_funnel(built, oracle):
    sessions = read(built["warehouse"], "select * from marts.fct_sessions")
    ev = oracle["events"]
    per_session = ev.groupby(["user_session", "user_id", "session_start"])["event_type"]
    bought = per_session.apply(lambda s: (s == "purchase").any())
    carted = per_session.apply(lambda s: (s == "cart").any())
    assert sessions["is_purchase_session"].mean() == pytest.approx(bought.mean())
    assert (sessions["funnel_stage"] == "purchase").sum() == bought.sum()
    assert (sessions["funnel_stage"] == "cart").sum() == (carted & ~bought).sum()
    assert float(sessions["revenue"].sum()) == pytest.approx(ev.loc[ev["event_type"] == "purchase", "price"].sum())
    session_keys = ["user_session", "user_id", "session_start"]
    purchase_times = ev[ev["event_type"] == "purchase"].groupby(session_keys)["event_time"]
    got = sessions.set_index(session_keys).sort_index()
    want = pd.DataFrame({"first_purchase_at": purchase_times.min(), "last_purchase_at": purchase_times.max()})
    want = want.reindex(got.index)
    assert got["first_purchase_at"].notna().sum() == bought.sum()
    pd.testing.assert_frame_equal(got[["first_purchase_at", "last_purchase_at"]], want, check_dtype=False)


def test_dim_users_matches_the_oracle(built, oracle):
    users = read(built["warehouse"], "select * from marts.dim_users").set_index("user_id").sort_index()
    want = oracle["users"]
    assert list(users.index) == list(want.index)
    for column in ["sessions", "orders", "purchases"]:
        assert (users[column].astype(int) == want[column]).all(), column
    assert users["revenue"].astype(float).round(2).tolist() == want["revenue"].round(2).tolist()
    for column in ["first_purchase_at", "last_purchase_at", "first_event_at", "last_event_at"]:
        pd.testing.assert_series_equal(users[column], want[column], check_names=False, check_dtype=False)
    assert (users["activity_status"] == want["activity_status"]).all()
    assert (users["is_churned"] == (want["activity_status"] == "churned")).all()
    buyers = users[users["orders"] > 0]
    aov = buyers["revenue"].astype(float) / buyers["orders"]
    assert buyers["avg_order_value"].astype(float).round(6).tolist() == aov.round(6).tolist()
    assert users.loc[users["orders"] == 0, "avg_order_value"].isna().all()
    assert (users["as_of_date"] == oracle["events"]["event_time"].max().normalize()).all()
    assert set(want["activity_status"]) >= {"prospect", "churned", "active"}


def test_rfm_scores_and_segments_match_pandas(built, oracle):
    rfm = read(built["warehouse"], "select * from marts.dim_user_rfm").set_index("user_id").sort_index()
    want = oracle["rfm"]
    assert list(rfm.index) == list(want.index)
    for column in ["r_score", "f_score", "m_score"]:
        assert rfm[column].tolist() == want[column].tolist(), column
    assert rfm["segment"].tolist() == want["segment"].tolist()
    assert rfm["rfm_score"].tolist() == [
        f"{r}{f}{m}" for r, f, m in zip(want.r_score, want.f_score, want.m_score, strict=True)
    ]
    assert rfm["recency_days"].tolist() == want["days_since_last_purchase"].astype(int).tolist()
    assert rfm["frequency"].tolist() == want["orders"].tolist()
    assert rfm["r_score"].min() == 1 and rfm["r_score"].max() == 5


def test_metrics_churn(built, oracle):
    churn = read(built["warehouse"], "select * from marts.metrics_churn").set_index("cohort_month")
    users = oracle["users"]
    buyers = users[users["first_purchase_at"].notna()]
    as_of = oracle["events"]["event_time"].max().normalize()
    eligible = buyers[buyers["first_purchase_at"].dt.normalize() <= as_of - pd.Timedelta(days=90)]
    churned = eligible[eligible["activity_status"] == "churned"]
    overall = churn.loc["overall"]
    assert (overall["customers"], overall["eligible_customers"], overall["churned_customers"]) == (
        len(buyers),
        len(eligible),
        len(churned),
    )
    assert overall["churn_rate"] == pytest.approx(len(churned) / len(eligible))
    by_month = buyers.groupby(buyers["first_purchase_at"].dt.strftime("%Y-%m")).size()
    assert churn.drop(index="overall")["customers"].sort_index().tolist() == by_month.sort_index().tolist()


def test_dim_products_resolves_a_canonical_brand(built, oracle):
    products = read(built["warehouse"], "select * from marts.dim_products").set_index("product_id")
    assert products.loc[16, "brand"] == "lg"  # 2 x lg, 2 x samsung: a tie, broken alphabetically
    assert products.loc[17, "brand"] == "sony"  # 2 x sony, 1 x acer, 1 without brand
    ev = oracle["events"]
    counts = ev.dropna(subset=["brand"]).groupby(["product_id", "brand"]).size().reset_index(name="n")
    counts = counts.sort_values(["product_id", "n", "brand"], ascending=[True, False, True])
    want = counts.drop_duplicates("product_id").set_index("product_id")["brand"]
    got = products["brand"].dropna()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert products.loc[16, "n_brands_seen"] == 2 and products.loc[17, "n_brands_seen"] == 2
    assert (products.loc[products.index <= 15, "n_brands_seen"] <= 1).all()
    purchases = ev[ev["event_type"] == "purchase"].groupby("product_id")["price"].sum()
    assert products["revenue"].astype(float).sum() == pytest.approx(purchases.sum())


def test_dim_products_take_category_and_price_from_the_latest_event(built):
    wh = built["warehouse"]
    products = read(wh, "select * from marts.dim_products").set_index("product_id").sort_index()
    # ties in time go to the larger hash of event_key (macro last_value_by, DuckDB)
    events = read(wh, "select *, hash(event_key) as key_hash from marts.fct_events")
    events = events.sort_values(["event_time", "key_hash"])
    latest = events.groupby("product_id").last()  # last non-null value per column, in that order
    ties = events[events["product_id"].between(18, 21)].groupby("product_id")["event_time"]
    assert ties.size().tolist() == [2] * 4 and ties.nunique().tolist() == [1] * 4
    for column in ["category_id", "category_code", "price"]:
        got = products[column]
        pd.testing.assert_series_equal(got, latest[column].reindex(got.index), check_names=False, check_dtype=False)
    cats = read(wh, "select * from marts.dim_categories").set_index("category_id").sort_index()
    codes = events.groupby("category_id")["category_code"].last()
    pd.testing.assert_series_equal(cats["category_code"], codes.reindex(cats.index), check_names=False)


def test_dim_categories_split_the_code(built, oracle):
    cats = read(built["warehouse"], "select * from marts.dim_categories").set_index("category_id")
    assert cats.loc[12, ["level_1", "level_2", "level_3", "level_4"]].tolist() == [
        "computers", "components", "cpu", "intel",
    ]  # fmt: skip
    assert cats.loc[10, "level_2"] == "smartphone" and pd.isna(cats.loc[10, "level_3"])
    assert pd.isna(cats.loc[13, "category_code"]) and pd.isna(cats.loc[13, "level_1"])
    want = oracle["events"].groupby("category_id").size()
    pd.testing.assert_series_equal(cats["events"].sort_index(), want.sort_index(), check_names=False, check_dtype=False)


def test_int_loads_counts_rows_without_session(built):
    loads = read(built["warehouse"], "select * from intermediate.int_loads").set_index("load_id")
    raw = built["raw"]
    assert loads["raw_rows"].to_dict() == raw.groupby("load_id").size().to_dict()
    assert loads["rows_without_session"].sum() == raw["user_session"].isna().sum()
    assert loads["is_live"].all()


def test_snapshots_hold_one_current_row_per_user(built, oracle):
    for snapshot, column, want in [
        ("snap_user_rfm_segment", "segment", oracle["rfm"]["segment"]),
        ("snap_user_activity_status", "activity_status", oracle["users"]["activity_status"]),
    ]:
        snap = read(built["warehouse"], f"select * from snapshots.{snapshot}")
        assert snap["dbt_valid_to"].isna().all() and snap["user_id"].is_unique
        got = snap.set_index("user_id")[column].sort_index()
        pd.testing.assert_series_equal(got, want.sort_index(), check_names=False, check_dtype=False)
