"""Customer-value, cohort, funnel and segment-movement marts, recomputed with pandas from raw rows.

One warehouse, built the way the pipeline builds it: loads 1-2, a build (first RFM snapshot);
load 3, a build without the after_clv models (second snapshot); a stand-in for the CLV fit
(marts.dim_user_clv with known p_alive), the after_clv models; then a validation build with
var clv_calibration_end, which must write marts.clv_calibration_summary only.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from estore.transform import build

from .support import _event, expected_events, expected_rfm, expected_users, random_events, read, write_warehouse

SAME_DAY_BUYER = 5000  # user_id of the hand-made customer (support._event adds 1000 to the user)
CALIBRATION_END = "2019-11-15"


def same_day_buyer_events(load: int) -> list[dict]:
    """Two purchases on 2019-10-05 in two sessions, two on 11-10 in one, one on 11-20; 12-03 in load 3."""
    u = SAME_DAY_BUYER - 1000
    if load == 1:
        return [
            _event(datetime(2019, 10, 5, 10, 0), "view", 1, u, "sdb-1"),
            _event(datetime(2019, 10, 5, 10, 5), "purchase", 1, u, "sdb-1"),  # 12.25
            _event(datetime(2019, 10, 5, 15, 0), "purchase", 2, u, "sdb-2"),  # 19.50
            _event(datetime(2019, 11, 10, 9, 0), "cart", 3, u, "sdb-3"),
            _event(datetime(2019, 11, 10, 9, 1), "purchase", 3, u, "sdb-3"),  # 26.75
            _event(datetime(2019, 11, 10, 9, 2), "purchase", 4, u, "sdb-3"),  # 34.00
            _event(datetime(2019, 11, 20, 18, 0), "purchase", 1, u, "sdb-4"),  # 12.25
        ]
    return [_event(datetime(2019, 12, 3, 12, 0), "purchase", 2, u, "sdb-5")]  # 19.50


def month(seed: int, start: datetime, days: int, users: range) -> list[dict]:
    return random_events(seed, start, days, users)


@pytest.fixture(scope="module")
def analytics(tmp_path_factory) -> dict:
    ws = tmp_path_factory.mktemp("analytics")
    wh = ws / "warehouse.duckdb"
    write_warehouse(
        wh,
        {
            1: month(11, datetime(2019, 10, 1), 31, range(0, 40)) + same_day_buyer_events(1),
            2: month(12, datetime(2019, 11, 1), 30, range(20, 60)),
        },
    )
    first = build(wh, ws)
    first_raw = read(wh, "select * from raw.events")

    write_warehouse(wh, {3: month(13, datetime(2019, 12, 1), 31, range(30, 80)) + same_day_buyer_events(3)})
    second = build(wh, ws, exclude="tag:after_clv")
    raw = read(wh, "select * from raw.events")

    # stand-in for estore.clv: a p_alive per customer of the summary that the test knows
    with duckdb.connect(str(wh)) as con:
        con.execute(
            """
            create or replace table marts.dim_user_clv as
            select user_id, frequency, recency as recency_days, t as t_days, monetary_value,
                   1.0 / (2 + frequency) as p_alive, 0.1 as expected_transactions_90d,
                   coalesce(monetary_value, 0) as expected_spend, 10.0 * frequency as clv
            from marts.clv_customer_summary
            """
        )
    after_clv = build(wh, ws, select="tag:after_clv")
    production_summary = read(wh, "select * from marts.clv_customer_summary order by user_id")
    validation = build(wh, ws, vars={"clv_calibration_end": CALIBRATION_END}, select="clv_customer_summary")
    return {
        "warehouse": wh,
        "raw": raw,
        "first_raw": first_raw,
        "builds": [first, second, after_clv, validation],
        "production_summary": production_summary,
    }


@pytest.fixture(scope="module")
def events(analytics) -> pd.DataFrame:
    return expected_events(analytics["raw"], live_loads={1, 2, 3})


# ---------------------------------------------------------------- pandas oracles


def sessions_of(events: pd.DataFrame) -> pd.DataFrame:
    keys = ["user_session", "user_id", "session_start"]
    flags = events.assign(
        has_view=events["event_type"] == "view",
        has_cart=events["event_type"] == "cart",
        has_purchase=events["event_type"] == "purchase",
        revenue=np.where(events["event_type"] == "purchase", events["price"].astype(float), 0.0),
    )
    return flags.groupby(keys, as_index=False).agg(
        has_view=("has_view", "any"),
        has_cart=("has_cart", "any"),
        has_purchase=("has_purchase", "any"),
        revenue=("revenue", "sum"),
        events=("event_time", "size"),
    )


def funnel(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    def one(g: pd.DataFrame) -> pd.Series:
        v, c, p = g["has_view"], g["has_cart"], g["has_purchase"]
        return pd.Series(
            {
                "sessions": len(g),
                "sessions_with_view": int(v.sum()),
                "sessions_with_cart": int(c.sum()),
                "sessions_with_purchase": int(p.sum()),
                "abandoned_cart_sessions": int((c & ~p).sum()),
                "view_to_cart_rate": (v & c).sum() / v.sum() if v.sum() else np.nan,
                "cart_to_purchase_rate": (c & p).sum() / c.sum() if c.sum() else np.nan,
                "view_to_purchase_rate": (v & p).sum() / v.sum() if v.sum() else np.nan,
                "cart_abandonment_rate": (c & ~p).sum() / c.sum() if c.sum() else np.nan,
                "revenue": g["revenue"].sum(),
            }
        )

    return frame.groupby(by).apply(one, include_groups=False).sort_index()


def transaction_days(events: pd.DataFrame) -> pd.DataFrame:
    purchases = events[events["event_type"] == "purchase"]
    days = purchases.assign(day=purchases["event_time"].dt.normalize(), value=purchases["price"].astype(float))
    return days.groupby(["user_id", "day"], as_index=False)["value"].sum()


def clv_summary(events: pd.DataFrame, calibration_end: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    days = transaction_days(events)
    first = days.groupby("user_id")["day"].min()
    days = days[days["user_id"].map(first) <= calibration_end]
    calibration = days[days["day"] <= calibration_end]
    holdout = days[(days["day"] > calibration_end) & (days["day"] <= as_of)]
    g = calibration.groupby("user_id")
    out = pd.DataFrame({"first_transaction_date": g["day"].min(), "last": g["day"].max(), "n": g.size()})
    out["frequency"] = out["n"] - 1
    out["recency"] = (out["last"] - out["first_transaction_date"]).dt.days.astype(float)
    out["t"] = (calibration_end - out["first_transaction_date"]).dt.days.astype(float)
    repeat = calibration[calibration["day"] > calibration["user_id"].map(first)]
    out["monetary_value"] = repeat.groupby("user_id")["value"].mean()
    out["holdout_transactions"] = holdout.groupby("user_id").size()
    out["holdout_transactions"] = out["holdout_transactions"].fillna(0).astype(int)
    out["holdout_days"] = float((as_of - calibration_end).days)
    return out.drop(columns=["last", "n"])


def as_of(events: pd.DataFrame) -> pd.Timestamp:
    return events["event_time"].max().normalize()


# ---------------------------------------------------------------- tests


def test_builds_run_the_after_clv_models_only_when_asked(analytics):
    first, second, after_clv, validation = analytics["builds"]
    assert all(b.success and not b.failed for b in analytics["builds"])
    after = {"stg_clv__dim_user_clv", "churn_comparison_users", "churn_comparison_segments"}
    assert after <= {n.name for n in first.nodes}  # a plain build builds everything
    assert not after & {n.name for n in second.nodes}
    assert {n.name for n in after_clv.nodes if n.resource_type == "model"} == after
    assert {n.name for n in validation.nodes if n.resource_type == "model"} == {"clv_customer_summary"}


def test_clv_summary_merges_same_day_purchases(analytics, events):
    wh = analytics["warehouse"]
    row = read(wh, f"select * from marts.clv_customer_summary where user_id = {SAME_DAY_BUYER}").iloc[0]
    # days 10-05 (12.25 + 19.50), 11-10 (26.75 + 34.00), 11-20 (12.25), 12-03 (19.50)
    end = as_of(events)
    assert row["first_transaction_date"] == pd.Timestamp("2019-10-05")
    assert row["frequency"] == 3
    assert row["recency"] == 59.0  # 10-05 -> 12-03
    assert row["t"] == float((end - pd.Timestamp("2019-10-05")).days)
    assert row["monetary_value"] == pytest.approx((60.75 + 12.25 + 19.50) / 3)
    assert row["calibration_end"] == end
    assert row["holdout_transactions"] == 0 and row["holdout_days"] == 0.0


def test_clv_summary_matches_pandas_for_every_customer(analytics, events):
    end = as_of(events)
    want = clv_summary(events, end, end)
    got = analytics["production_summary"].set_index("user_id")
    assert list(got.index) == sorted(want.index)
    got = got.loc[want.index]
    for col in ["frequency", "recency", "t", "holdout_transactions", "holdout_days"]:
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), err_msg=col)
    np.testing.assert_allclose(got["monetary_value"].astype(float), want["monetary_value"].astype(float))
    assert (got["monetary_value"].isna() == (got["frequency"] == 0)).all()


def test_validation_build_writes_the_calibration_summary_only(analytics, events):
    wh = analytics["warehouse"]
    # the production table is exactly as before the validation build
    pd.testing.assert_frame_equal(
        read(wh, "select * from marts.clv_customer_summary order by user_id"), analytics["production_summary"]
    )
    calibration = read(wh, "select * from marts.clv_calibration_summary").set_index("user_id").sort_index()
    end, cal_end = as_of(events), pd.Timestamp(CALIBRATION_END)
    want = clv_summary(events, cal_end, end)
    assert list(calibration.index) == sorted(want.index)
    row = calibration.loc[SAME_DAY_BUYER]
    assert (row["frequency"], row["recency"], row["t"]) == (1, 36.0, 41.0)
    assert row["monetary_value"] == pytest.approx(60.75)
    assert row["holdout_transactions"] == 2  # 11-20 and 12-03
    assert row["holdout_days"] == float((end - cal_end).days)
    for col in ["frequency", "recency", "t", "holdout_transactions", "holdout_days"]:
        np.testing.assert_allclose(calibration[col].astype(float), want.loc[calibration.index, col].astype(float))
    assert (calibration["calibration_end"] == cal_end).all()


def test_cohort_retention_matches_pandas(analytics, events):
    purchases = events[events["event_type"] == "purchase"].copy()
    purchases["month"] = purchases["event_time"].dt.to_period("M")
    cohort = purchases.groupby("user_id")["month"].min().rename("cohort")
    purchases = purchases.join(cohort, on="user_id")
    purchases["age"] = (purchases["month"] - purchases["cohort"]).map(lambda d: d.n)
    cohort_sizes = cohort.value_counts()
    got = read(analytics["warehouse"], "select * from marts.cohort_retention")
    got["cohort"] = pd.to_datetime(got["cohort_month"]).dt.to_period("M")
    got = got.set_index(["cohort", "months_since_first_purchase"]).sort_index()
    # the full triangle: every cohort from month 0 to the as-of month
    last = as_of(events).to_period("M")
    assert len(got) == sum((last - c).n + 1 for c in cohort_sizes.index)
    # one cell checked by hand: the October cohort one month later
    oct_cohort = cohort[cohort == pd.Period("2019-10")].index
    nov = purchases[(purchases["user_id"].isin(oct_cohort)) & (purchases["month"] == pd.Period("2019-11"))]
    row = got.loc[(pd.Period("2019-10"), 1)]
    assert row["cohort_customers"] == len(oct_cohort)
    assert row["customers_retained"] == nov["user_id"].nunique() > 0
    assert row["retention_rate"] == pytest.approx(nov["user_id"].nunique() / len(oct_cohort))
    assert float(row["revenue"]) == pytest.approx(nov["price"].astype(float).sum())
    oct_revenue = purchases[purchases["user_id"].isin(oct_cohort) & (purchases["month"] <= pd.Period("2019-11"))]
    assert row["cumulative_revenue_per_customer"] == pytest.approx(
        oct_revenue["price"].astype(float).sum() / len(oct_cohort)
    )
    # every cell
    cells = purchases.groupby(["cohort", "age"]).agg(retained=("user_id", "nunique"), revenue=("price", "sum"))
    for (c, age), cell in cells.iterrows():
        assert got.loc[(c, age), "customers_retained"] == cell["retained"]
        assert float(got.loc[(c, age), "revenue"]) == pytest.approx(float(cell["revenue"]))
    assert got["customers_retained"].sum() == cells["retained"].sum()


def test_funnel_daily_matches_pandas(analytics, events):
    sessions = sessions_of(events)
    sessions["session_date"] = sessions["session_start"].dt.normalize()
    want = funnel(sessions, "session_date")
    got = read(analytics["warehouse"], "select * from marts.funnel_daily")
    got = got.set_index(pd.to_datetime(got["session_date"])).drop(columns="session_date").sort_index()
    assert list(got.index) == list(want.index)
    # the busiest day, column by column
    day = want["sessions"].idxmax()
    assert got.loc[day, "sessions_with_cart"] == want.loc[day, "sessions_with_cart"]
    pd.testing.assert_frame_equal(got.astype(float), want[got.columns].astype(float), check_names=False)


def test_funnel_by_segment_matches_pandas(analytics, events):
    # each user's segment recomputed from the events; users who never bought are 'Prospects'
    segments = expected_rfm(expected_users(events))["segment"]
    sessions = sessions_of(events)
    sessions["segment"] = sessions["user_id"].map(segments).fillna("Prospects")
    want = funnel(sessions, "segment")
    got = read(analytics["warehouse"], "select * from marts.funnel_by_segment").set_index("segment").sort_index()
    assert list(got.index) == list(want.index)
    assert {"Prospects", "Champions"} <= set(got.index)
    assert got.loc["Prospects", "sessions_with_purchase"] == 0
    pd.testing.assert_frame_equal(got.astype(float), want[got.columns].astype(float), check_names=False)


def test_funnel_by_category_matches_pandas(analytics, events):
    per_category = events.assign(
        category_level_1=events["category_code"].fillna("unknown").str.split(".").str[0],
        has_view=events["event_type"] == "view",
        has_cart=events["event_type"] == "cart",
        has_purchase=events["event_type"] == "purchase",
        revenue=np.where(events["event_type"] == "purchase", events["price"].astype(float), 0.0),
    )
    keys = ["user_session", "user_id", "session_start", "category_level_1"]
    session_category = per_category.groupby(keys, as_index=False).agg(
        has_view=("has_view", "any"),
        has_cart=("has_cart", "any"),
        has_purchase=("has_purchase", "any"),
        revenue=("revenue", "sum"),
    )
    want = funnel(session_category, "category_level_1")
    got = read(analytics["warehouse"], "select * from marts.funnel_by_category").set_index("category_level_1")
    got = got.sort_index()
    assert set(got.index) == {"electronics", "appliances", "computers", "unknown"}
    pd.testing.assert_frame_equal(got.astype(float), want[got.columns].astype(float), check_names=False)
    # a session touching two categories counts in both
    assert got["sessions"].sum() > len(sessions_of(events))


def performance(events: pd.DataFrame, group: str) -> pd.DataFrame:
    """brand_performance / category_performance measures per value of `group`, from events."""
    purchase = events["event_type"] == "purchase"
    frame = events.assign(
        view=events["event_type"] == "view",
        cart=events["event_type"] == "cart",
        purchase=purchase,
        revenue=np.where(purchase, events["price"].astype(float), 0.0),
    )
    keys = ["user_session", "user_id", "session_start", group]
    sessions = frame.groupby(keys, as_index=False).agg(bought=("purchase", "any"))
    want = frame.groupby(group).agg(
        revenue=("revenue", "sum"), purchases=("purchase", "sum"), views=("view", "sum"), carts=("cart", "sum")
    )
    want["buyers"] = frame[purchase].groupby(group)["user_id"].nunique().reindex(want.index).fillna(0)
    want["sessions"] = sessions.groupby(group).size()
    want["purchase_sessions"] = sessions.groupby(group)["bought"].sum()
    want["conversion_rate"] = want["purchase_sessions"] / want["sessions"]
    want["views_per_session"] = want["views"] / want["sessions"]
    want["revenue_share"] = want["revenue"] / want["revenue"].sum()
    return want.sort_index()


def test_brand_and_category_performance_match_pandas(analytics, events):
    # a product's brand is its most frequent one (ties alphabetical), 'unknown' when it has none
    labels = events.dropna(subset=["brand"]).groupby(["product_id", "brand"]).size().rename("n").reset_index()
    canonical = labels.sort_values(["product_id", "n", "brand"], ascending=[True, False, True])
    canonical = canonical.drop_duplicates("product_id").set_index("product_id")["brand"]
    by_brand = events.assign(group=events["product_id"].map(canonical).fillna("unknown"))
    want = performance(by_brand, "group")
    want["products"] = by_brand.groupby("group")["product_id"].nunique()
    got = read(analytics["warehouse"], "select * from marts.brand_performance").set_index("brand").sort_index()
    assert len(set(canonical)) > 1 and got.loc["unknown", "views"] > 0
    pd.testing.assert_frame_equal(got.astype(float), want[got.columns].astype(float), check_names=False)

    by_code = events.assign(group=events["category_code"].fillna("unknown"))
    want = performance(by_code, "group")
    got = read(analytics["warehouse"], "select * from marts.category_performance").set_index("category_code")
    got = got.sort_index()
    assert (got["category_level_1"] == got.index.str.split(".").str[0]).all()
    got = got.drop(columns="category_level_1")
    pd.testing.assert_frame_equal(got.astype(float), want[got.columns].astype(float), check_names=False)


def test_segment_migration_between_the_two_builds(analytics):
    before = expected_rfm(expected_users(expected_events(analytics["first_raw"], live_loads={1, 2})))
    after = expected_rfm(expected_users(expected_events(analytics["raw"], live_loads={1, 2, 3})))
    moves = pd.DataFrame({"from_segment": before["segment"]}).join(
        pd.DataFrame({"to_segment": after["segment"]}), how="outer"
    )
    moves["from_segment"] = moves["from_segment"].fillna("New")
    want = moves.groupby(["from_segment", "to_segment"]).size().rename("customers")
    got = read(analytics["warehouse"], "select * from marts.segment_migration")
    # compared at the data dates of the two builds (their last events), not the builds' clock times
    first_as_of = analytics["first_raw"]["event_time"].max().normalize()
    assert set(got["from_date"]) == {first_as_of}
    assert set(got["to_date"]) == {analytics["raw"]["event_time"].max().normalize()}
    got = got.set_index(["from_segment", "to_segment"]).sort_index()
    pd.testing.assert_series_equal(got["customers"], want.sort_index(), check_dtype=False)
    assert "New" in got.index.get_level_values("from_segment")
    shares = got.groupby(level="from_segment")["share_of_from_segment"].sum()
    np.testing.assert_allclose(shares, 1.0)


def test_churn_comparison_uses_the_fit(analytics, events):
    users = expected_users(events)
    rfm = expected_rfm(users)
    summary = clv_summary(events, as_of(events), as_of(events))
    p_alive = 1.0 / (2 + summary["frequency"])  # what the stand-in fit wrote
    frame = rfm[["segment", "activity_status"]].join(p_alive.rename("p_alive"))
    frame["churned"] = frame["activity_status"] == "churned"
    want = frame.groupby("segment").agg(
        customers=("churned", "size"),
        rule_churned_customers=("churned", "sum"),
        expected_customers_alive=("p_alive", "sum"),
    )
    want["rule_churn_rate"] = want["rule_churned_customers"] / want["customers"]
    want["mean_probabilistic_churn"] = frame.assign(q=1 - frame["p_alive"]).groupby("segment")["q"].mean()
    got = read(analytics["warehouse"], "select * from marts.churn_comparison_segments").set_index("segment")
    got = got.sort_index()
    pd.testing.assert_frame_equal(got[want.columns].astype(float), want.astype(float), check_names=False)
    per_user = read(analytics["warehouse"], "select * from marts.churn_comparison_users").set_index("user_id")
    assert per_user.loc[SAME_DAY_BUYER, "p_alive"] == pytest.approx(1 / 5)
    assert per_user.loc[SAME_DAY_BUYER, "probabilistic_churn"] == pytest.approx(4 / 5)
    assert len(per_user) == len(rfm)
