"""Hand-made raw events with known edge cases, and a pandas oracle for what the marts must hold."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from estore.warehouse import connect

EVENT_COLUMNS = [
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
]
CATEGORIES = {
    10: "electronics.smartphone",
    11: "appliances.kitchen.refrigerators",
    12: "computers.components.cpu.intel",
    13: None,
}
PRODUCT_BRANDS = {p: ["apple", "samsung", "xiaomi", None][p % 4] for p in range(1, 16)}
DEFAULT_SEGMENTS = [
    ("Champions", (4, 5), (4, 5)),
    ("Loyal Customers", (3, 5), (3, 5)),
    ("Potential Loyalists", (4, 5), (2, 3)),
    ("Recent Customers", (5, 5), (1, 2)),
    ("Promising", (4, 4), (1, 2)),
    ("Needs Attention", (3, 3), (2, 3)),
    ("About To Sleep", (3, 3), (1, 2)),
    ("At Risk", (1, 2), (3, 5)),
    ("Lost", (1, 2), (1, 3)),
]


def _event(t: datetime, etype: str, product: int, user: int, session: str | None, brand=...) -> dict:
    category = 10 + product % 4
    return {
        "event_time": t,
        "event_type": etype,
        "product_id": product,
        "category_id": category,
        "category_code": CATEGORIES[category],
        "brand": PRODUCT_BRANDS.get(product) if brand is ... else brand,
        "price": round(5 + product * 7.25, 2),
        "user_id": 1000 + user,
        "user_session": session,
    }


def random_events(seed: int, start: datetime, days: int, users: range, sessions_per_user: int = 4) -> list[dict]:
    """Seeded sessions of 1-8 events a few minutes apart; some users buy."""
    rng = random.Random(seed)
    rows = []
    for user in users:
        buyer_level = rng.random()
        for s in range(rng.randint(1, sessions_per_user)):
            t = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(24 * 60))
            session = f"u{user}-{seed}-{s}"
            for _ in range(rng.randint(1, 8)):
                product = rng.randint(1, 15)
                r = rng.random()
                etype = "purchase" if r < 0.15 * buyer_level else "cart" if r < 0.3 * buyer_level else "view"
                rows.append(_event(t, etype, product, user, session))
                t += timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
    return rows


def edge_case_events() -> list[dict]:
    """Sessionization boundaries, sessionless rows, duplicates and products under several brands."""
    base = datetime(2019, 10, 20, 10, 0, 0)
    rows = [
        # user 900: gaps of exactly 60 minutes -> one session
        _event(base, "view", 1, 900, "gap60"),
        _event(base + timedelta(minutes=60), "cart", 1, 900, "gap60"),
        _event(base + timedelta(minutes=120), "purchase", 1, 900, "gap60"),
        # user 901: a 61-minute gap -> two sessions
        _event(base, "view", 2, 901, "gap61"),
        _event(base + timedelta(minutes=61), "view", 2, 901, "gap61"),
        # user 902: session id reused two hours later -> two sessions; the same id for user 903 is separate
        _event(base, "view", 3, 902, "reused"),
        _event(base + timedelta(minutes=10), "purchase", 3, 902, "reused"),
        _event(base + timedelta(minutes=130), "purchase", 3, 902, "reused"),
        _event(base, "view", 3, 903, "reused"),
        # user 906 bought once, at the very start: churned at the as-of date
        _event(datetime(2019, 10, 1, 8, 0, 0), "purchase", 7, 906, "early"),
        # no session id: dropped
        _event(base, "view", 4, 904, None),
        _event(base + timedelta(minutes=5), "purchase", 4, 904, None),
        # product 16 seen as 'samsung' twice and 'lg' twice (tie -> 'lg'), product 17 mostly 'sony'
        _event(base, "view", 16, 905, "brands", brand="samsung"),
        _event(base + timedelta(minutes=1), "view", 16, 905, "brands", brand="lg"),
        _event(base + timedelta(minutes=2), "view", 16, 905, "brands", brand="samsung"),
        _event(base + timedelta(minutes=3), "view", 16, 905, "brands", brand="lg"),
        _event(base + timedelta(minutes=4), "view", 17, 905, "brands", brand="acer"),
        _event(base + timedelta(minutes=5), "view", 17, 905, "brands", brand="sony"),
        _event(base + timedelta(minutes=6), "view", 17, 905, "brands", brand=None),
        _event(base + timedelta(minutes=7), "view", 17, 905, "brands", brand="sony"),
        # the same event again with its brand in capitals and spaces: a duplicate once cleaned
        _event(base + timedelta(minutes=7), "view", 17, 905, "brands", brand=" SONY "),
    ]
    # products 18-21: their latest two events share a timestamp but not the category or price
    for product in range(18, 22):
        at = base + timedelta(minutes=product)
        other = 10 + (product + 1) % 4
        rows.append(_event(at, "view", product, 907, "ties"))
        rows.append({**_event(at, "view", product, 907, "ties"), "category_id": other,
                     "category_code": CATEGORIES[other], "price": 1.0 + product})  # fmt: skip
    return rows


def write_warehouse(path: Path, loads: dict[int, list[dict]], statuses: dict[int, str] | None = None) -> None:
    """Append each load's rows to raw.events with a ledger row (status 'loaded' unless given)."""
    statuses = statuses or {}
    con = connect(path)
    try:
        for load_id, rows in loads.items():
            frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
            frame["load_id"] = load_id
            con.register("frame", frame)
            con.execute(
                "insert into raw.events select event_time, event_type, product_id, category_id, "
                "category_code, brand, cast(price as decimal(12, 2)), user_id, user_session, load_id from frame"
            )
            con.unregister("frame")
            con.execute(
                "insert into raw.load_ledger values (?, ?, ?, 0, 'x', ?, 0, now(), 0, ?)",
                [
                    load_id,
                    f"/landing/{load_id}.csv",
                    f"{load_id}.csv",
                    len(rows),
                    statuses.get(load_id, "loaded"),
                ],
            )
    finally:
        con.close()


def read(path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).df()


# ---------------------------------------------------------------- oracle (independent of the SQL)


def expected_events(raw: pd.DataFrame, live_loads: set[int], timeout_minutes: int = 60) -> pd.DataFrame:
    """Rows of live loads with a session, duplicates (equal once codes are cleaned) collapsed, with a
    session number."""
    df = raw[raw["load_id"].isin(live_loads) & raw["user_session"].notna()].copy()
    for code in ("brand", "category_code"):  # trimmed and lowercased, empty -> NULL, before comparing
        df[code] = df[code].str.strip().str.lower().replace("", None)
    df["brand_key"] = df["brand"].fillna("<null>")
    df["code_key"] = df["category_code"].fillna("<null>")
    keys = [c for c in EVENT_COLUMNS if c not in ("brand", "category_code")] + ["brand_key", "code_key"]
    df = df.sort_values("load_id").drop_duplicates(keys, keep="first").drop(columns=["brand_key", "code_key"])
    df = df.sort_values(["user_session", "user_id", "event_time"]).reset_index(drop=True)
    gap = df.groupby(["user_session", "user_id"])["event_time"].diff()
    new = gap.isna() | (gap > pd.Timedelta(minutes=timeout_minutes))
    df["session_start"] = df["event_time"].where(new).groupby([df["user_session"], df["user_id"]]).ffill()
    return df


def expected_users(events: pd.DataFrame, as_of: pd.Timestamp | None = None, thresholds=(30, 60, 90)) -> pd.DataFrame:
    as_of = as_of if as_of is not None else events["event_time"].max().normalize()
    sessions = events.groupby(["user_session", "user_id", "session_start"]).agg(
        purchases=("event_type", lambda s: (s == "purchase").sum())
    )
    sessions = sessions.reset_index()
    purchases = events[events["event_type"] == "purchase"]
    users = pd.DataFrame(index=sorted(events["user_id"].unique()))
    users["sessions"] = sessions.groupby("user_id").size()
    users["orders"] = sessions[sessions["purchases"] > 0].groupby("user_id").size()
    users["purchases"] = purchases.groupby("user_id").size()
    users["revenue"] = purchases.groupby("user_id")["price"].sum()
    users["first_event_at"] = events.groupby("user_id")["event_time"].min()
    users["last_event_at"] = events.groupby("user_id")["event_time"].max()
    users["first_purchase_at"] = purchases.groupby("user_id")["event_time"].min()
    users["last_purchase_at"] = purchases.groupby("user_id")["event_time"].max()
    users[["orders", "purchases"]] = users[["orders", "purchases"]].fillna(0).astype(int)
    users["revenue"] = users["revenue"].fillna(0.0).astype(float)
    users["days_since_last_purchase"] = (as_of - users["last_purchase_at"].dt.normalize()).dt.days
    active, declining, churn = thresholds

    def status(days: float) -> str:
        if pd.isna(days):
            return "prospect"
        if days <= active:
            return "active"
        if days <= declining:
            return "declining"
        return "at_risk" if days <= churn else "churned"

    users["activity_status"] = users["days_since_last_purchase"].map(status)
    users.index.name = "user_id"
    return users


def _score(values: pd.Series, bins: int, ascending: bool) -> pd.Series:
    rank = values.rank(method="min", ascending=ascending)  # ties share the lowest rank
    n = len(values)
    pct = (rank - 1) / (n - 1) if n > 1 else rank * 0
    return pct.map(lambda p: min(bins, 1 + math.floor(bins * p))).astype(int)


def expected_rfm(users: pd.DataFrame, bins: int = 5, segments=DEFAULT_SEGMENTS) -> pd.DataFrame:
    buyers = users[users["orders"] > 0].copy()
    buyers["r_score"] = _score(buyers["days_since_last_purchase"], bins, ascending=False)
    buyers["f_score"] = _score(buyers["orders"], bins, ascending=True)
    buyers["m_score"] = _score(buyers["revenue"], bins, ascending=True)
    buyers["fm_score"] = (buyers["f_score"] + buyers["m_score"]) / 2

    def segment(row) -> str | None:
        for name, (r0, r1), (f0, f1) in segments:
            if r0 <= row.r_score <= r1 and f0 <= row.fm_score <= f1:
                return name
        return None

    buyers["segment"] = buyers.apply(segment, axis=1)
    return buyers
