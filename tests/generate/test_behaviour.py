"""Generated behaviour is REES46-like, and buyers follow the stated CLV truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from estore.generate import GenerationConfig, generate

from .support import Dataset, read_dataset


def _typed(c: pd.DataFrame) -> pd.DataFrame:
    out = c.copy()
    out["t"] = pd.to_datetime(out["event_time"].str.slice(0, 19))
    out["price_f"] = out["price"].astype(float)
    return out


def test_event_type_shares(small: Dataset) -> None:
    share = small.clean["event_type"].value_counts(normalize=True)
    assert 0.93 <= share["view"] <= 0.975
    assert 0.02 <= share["cart"] <= 0.045
    assert 0.01 <= share["purchase"] <= 0.02


def test_empty_codes_and_brands(small: Dataset) -> None:
    c = small.clean
    assert 0.22 <= (c["category_code"] == "").mean() <= 0.42  # REES46 ~32%
    assert 0.07 <= (c["brand"] == "").mean() <= 0.22  # REES46 ~14%


def test_sessions_funnel_and_conversion(small: Dataset) -> None:
    c = small.clean[small.clean["user_session"] != ""]
    per = pd.crosstab(c["user_session"], c["event_type"])
    per = pd.DataFrame({"events": per.sum(axis=1), "carts": per["cart"], "buys": per["purchase"]})
    assert 4.0 <= per["events"].mean() <= 5.2  # ~4.6
    assert 0.045 <= (per["buys"] > 0).mean() <= 0.075  # ~5.9% of sessions end in a purchase
    assert 0.84 <= (per["carts"] == 0).mean() <= 0.92  # ~88% never reach the cart
    carting = per[per["carts"] > 0]
    assert 0.35 <= (carting["buys"] > 0).mean() <= 0.65  # about half of carting sessions buy
    assert small.manifest["behaviour"]["purchase_sessions"] >= (per["buys"] > 0).sum()


def test_purchases_follow_a_view_of_the_same_product_in_the_same_session(small: Dataset) -> None:
    c = _typed(small.clean)
    c = c[c["user_session"] != ""]
    buys = c[c["event_type"] == "purchase"][["user_session", "product_id", "t"]]
    views = c[c["event_type"] == "view"].groupby(["user_session", "product_id"])["t"].min().rename("first_view")
    carts = c[c["event_type"] == "cart"].groupby(["user_session", "product_id"])["t"].min().rename("first_cart")
    j = buys.join(views, on=["user_session", "product_id"]).join(carts, on=["user_session", "product_id"])
    assert len(j) > 1000
    assert (j["first_view"] < j["t"]).all()
    assert 0.8 <= (j["first_cart"] < j["t"]).mean() <= 0.97  # usually carted first (~90%)


def test_session_ids_reused_after_an_hour(small: Dataset) -> None:
    c = _typed(small.clean)
    c = c[c["user_session"] != ""].sort_values(["user_session", "t"])
    gap = c.groupby("user_session")["t"].diff()
    reused = c.loc[gap > pd.Timedelta(hours=1), "user_session"].nunique()
    share = reused / c["user_session"].nunique()
    assert 0.01 <= share <= 0.03  # REES46: ~2%
    # a reused id always belongs to one user
    assert c.groupby("user_session")["user_id"].nunique().max() == 1


def test_calendar_cycles_and_november_peak(small: Dataset) -> None:
    c = _typed(small.clean)
    by_month = c["t"].dt.month.value_counts()
    assert 1.3 <= by_month[11] / by_month[10] <= 2.0  # REES46: 67.5M / 42.4M = 1.6
    by_day = c.groupby(c["t"].dt.date).size()
    top = {d.isoformat() for d in by_day.nlargest(4).index}
    assert top <= {"2019-11-15", "2019-11-16", "2019-11-17", "2019-11-29"}
    by_hour = c["t"].dt.hour.value_counts(normalize=True)
    assert by_hour.loc[[1, 2, 3]].sum() < 0.3 * by_hour.loc[[16, 17, 18]].sum()


def test_user_activity_is_heavy_tailed(small: Dataset) -> None:
    per_user = small.clean.groupby("user_id").size()
    assert per_user.max() >= 20 * per_user.median()
    top = per_user.nlargest(int(len(per_user) * 0.1)).sum() / per_user.sum()
    assert top >= 0.35  # the busiest 10% of users make at least a third of the events
    buyers = small.manifest["counts"]["buyers"] / small.manifest["counts"]["users"]
    assert abs(buyers - small.manifest["config"]["buyer_share"]) < 0.02


def test_prices_are_lognormal_per_category(small: Dataset) -> None:
    c = _typed(small.clean)
    products = c.drop_duplicates("product_id")
    products = products[products["price_f"] > 0]
    log_sd = products.groupby("category_id")["price_f"].apply(lambda p: np.log(p).std()).dropna()
    assert 0.3 <= log_sd.median() <= 0.8  # spread within a category (~0.5 on the log scale)
    medians = products.groupby("category_id")["price_f"].median()
    assert medians.max() / medians.min() > 50  # categories differ by orders of magnitude


def bgnbd_expected_repeats(t: np.ndarray, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """E[X(t)] of BG/NBD (Fader, Hardie & Lee 2005, eq. 9)."""
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


@pytest.fixture(scope="module")
def buyers_heavy(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Many buyers (30% of sessions buy) over 4 months, so the CLV truth can be checked tightly."""
    out = tmp_path_factory.mktemp("gen_clv")
    generate(out, GenerationConfig(events=300_000, months=4, seed=3, purchase_session_share=0.3))
    return read_dataset(out)


def test_repeat_transaction_days_follow_bgnbd(buyers_heavy: Dataset) -> None:
    m = buyers_heavy.manifest
    truth = m["clv_truth"]["bgnbd"]
    c = _typed(buyers_heavy.clean)
    days = c.loc[c["event_type"] == "purchase"].assign(day=lambda d: d["t"].dt.normalize())
    per_buyer = days.groupby("user_id")["day"].agg(first="min", n="nunique")
    repeats = per_buyer["n"].to_numpy() - 1
    end = pd.Timestamp(m["window"]["end"])
    # exposure: from birth (uniform within its first day, so the middle of it) to the window end
    exposure_weeks = ((end - per_buyer["first"]).dt.total_seconds().to_numpy() / 86_400 - 0.5) / 7
    expected = bgnbd_expected_repeats(exposure_weeks, truth["r"], truth["alpha"], truth["a"], truth["b"])
    n = len(repeats)
    assert n > 10_000
    # sampling error of the mean of independent customers: 4 standard errors; plus 0.01 for the
    # calendar-day rounding (same-day repeats moved to the next day, a few leaving the window)
    se = repeats.std(ddof=1) / np.sqrt(n)
    assert abs(repeats.mean() - expected.mean()) <= 4 * se + 0.01, (repeats.mean(), expected.mean(), se)
    # and the shape: share with no repeat and with 2+ repeats, by exposure tercile
    tercile = pd.qcut(exposure_weeks, 3, labels=False)
    for k in range(3):
        sel = tercile == k
        assert (
            abs(repeats[sel].mean() - expected[sel].mean()) <= 4 * repeats[sel].std(ddof=1) / np.sqrt(sel.sum()) + 0.01
        )
    # births are spread over the whole window
    first_days = per_buyer["first"].dt.date.nunique()
    assert first_days >= 0.95 * m["window"]["days"]


def test_transaction_values_follow_gamma_gamma(buyers_heavy: Dataset) -> None:
    m = buyers_heavy.manifest
    gg = m["clv_truth"]["gamma_gamma"]
    c = _typed(buyers_heavy.clean)
    buys = c[c["event_type"] == "purchase"]
    values = buys.groupby(["user_id", buys["t"].dt.date])["price_f"].sum()
    # E[z] = E[p / nu] with nu ~ Gamma(q, rate gamma): p * gamma / (q - 1)
    expected_mean = gg["p"] * gg["gamma"] / (gg["q"] - 1)
    se = values.std(ddof=1) / np.sqrt(len(values))
    # 4 standard errors, plus 2% for picking the product priced nearest to each drawn value
    assert abs(values.mean() - expected_mean) <= 4 * se + 0.02 * expected_mean, (values.mean(), expected_mean)
    # per transaction, z | nu ~ Gamma(p, nu): the coefficient of variation within a customer is 1/sqrt(p)
    per_user = values.groupby(level=0)
    cv = (per_user.std(ddof=1) / per_user.mean()).dropna()
    sizes = per_user.size()[cv.index]
    heavy = cv[sizes >= 4]
    assert len(heavy) > 200
    # the sample CV of small samples is biased low; compare loosely with 1/sqrt(p) = 0.4
    assert 0.25 <= heavy.median() <= 0.45
