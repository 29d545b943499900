"""The same events load the same from .csv, .csv.gz and .parquet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from ingest_files import HEADER, good_line, query, write_csv

from estore.ingest import ProgressEvent, load

COLUMNS = HEADER.split(",")
SNAPSHOT = (
    "select count(*), sum(price), count(distinct user_id), count(category_code), count(brand), "
    "count(user_session), min(event_time), max(event_time), "
    "sum(case when event_type = 'purchase' then 1 end) "
    "from raw.events"
)


def _frame(n: int) -> pd.DataFrame:
    rows = [line.split(",") for line in (good_line(i) for i in range(n))]
    return pd.DataFrame(rows, columns=COLUMNS)


def _expected(frame: pd.DataFrame) -> tuple:
    times = pd.to_datetime(frame["event_time"].str.removesuffix(" UTC"))
    return (
        len(frame),
        sum(Decimal(p) for p in frame["price"]),
        frame["user_id"].nunique(),
        int((frame["category_code"] != "").sum()),
        int((frame["brand"] != "").sum()),
        int((frame["user_session"] != "").sum()),
        times.min().to_pydatetime(),
        times.max().to_pydatetime(),
        int((frame["event_type"] == "purchase").sum()),
    )


@pytest.mark.parametrize("name", ["events.csv", "events.csv.gz"])
def test_csv_and_gzip(tmp_path: Path, warehouse: Path, name: str) -> None:
    frame = _frame(500)
    f = write_csv(tmp_path / name, [",".join(row) for row in frame.itertuples(index=False)])
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded) == ("loaded", 500)
    assert query(warehouse, SNAPSHOT) == [_expected(frame)]


@pytest.mark.parametrize("event_time", ["string", "timestamp", "timestamptz"])
def test_parquet(tmp_path: Path, warehouse: Path, event_time: str) -> None:
    frame = _frame(500)
    typed = frame.copy()
    for col in ["product_id", "category_id", "user_id"]:
        typed[col] = typed[col].astype("int64")
    typed["price"] = typed["price"].astype("float64")
    for col in ["category_code", "brand", "user_session"]:
        typed[col] = typed[col].replace("", None)
    if event_time != "string":
        typed["event_time"] = pd.to_datetime(typed["event_time"].str.removesuffix(" UTC"))
        if event_time == "timestamptz":  # the same instants, written in another zone
            typed["event_time"] = typed["event_time"].dt.tz_localize("UTC").dt.tz_convert("Europe/Moscow")
    f = tmp_path / "events.parquet"
    typed.to_parquet(f)
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 500, 0)
    assert query(warehouse, SNAPSHOT) == [_expected(frame)]


def test_parquet_bad_rows_are_quarantined_with_row_numbers(tmp_path: Path, warehouse: Path) -> None:
    frame = _frame(20)
    frame.loc[3, "event_type"] = "click"
    frame.loc[7, "price"] = "-1.00"
    frame.loc[11, "event_time"] = "yesterday"
    frame.loc[15, "user_id"] = ""
    f = tmp_path / "events.parquet"
    frame.to_parquet(f)  # all strings
    [r] = load([str(f)], warehouse)
    assert (r.rows_loaded, r.rows_quarantined) == (16, 4)
    assert query(warehouse, "select line_number, reason from raw.quarantine order by 1") == [
        (4, "unknown event_type 'click'"),
        (8, "negative price -1.00"),
        (12, "bad timestamp in event_time: 'yesterday'"),
        (16, "missing user_id"),
    ]
    raw = query(warehouse, "select raw_line from raw.quarantine where line_number = 4")[0][0]
    assert raw == ",".join(frame.iloc[3])


def test_parquet_with_wrong_columns_is_refused(tmp_path: Path, warehouse: Path) -> None:
    f = tmp_path / "events.parquet"
    _frame(5).drop(columns=["brand"]).to_parquet(f)
    [r] = load([str(f)], warehouse)
    assert r.status == "refused" and "brand" in (r.message or "") and str(f) in (r.message or "")


def test_progress_reports_start_and_end_of_each_file(tmp_path: Path, warehouse: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(30)])
    b = write_csv(tmp_path / "b.csv.gz", [good_line(i) for i in range(100, 120)])
    events: list[ProgressEvent] = []
    load([str(a), str(b), str(a)], warehouse, progress=events.append)
    for f, rows, status in [(a, 30, "loaded"), (b, 20, "loaded")]:
        mine = [e for e in events if e.path == str(f)]
        assert mine[0].stage == "hashing" and mine[0].fraction == 0.0
        assert mine[-1].stage == status and mine[-1].fraction == 1.0 and mine[-1].rows == rows
        assert all(e.bytes_total == f.stat().st_size for e in mine)
        assert [e.elapsed for e in mine] == sorted(e.elapsed for e in mine)
        assert "loading" in {e.stage for e in mine}


def test_parquet_ids_that_are_not_integers_are_quarantined_not_rounded(tmp_path: Path, warehouse: Path) -> None:
    frame = _frame(8)
    typed = frame.copy()
    typed["product_id"] = typed["product_id"].astype("float64")  # a DOUBLE column
    typed.loc[2, "product_id"] = 3.7
    typed["category_id"] = typed["category_id"].astype("int64")
    # user_id stays VARCHAR
    typed.loc[3, "user_id"] = "12.7"
    typed.loc[4, "user_id"] = "0x10"
    typed.loc[5, "user_id"] = "1e3"
    typed.loc[6, "user_id"] = "1_000"
    typed["price"] = typed["price"].astype("float64")
    f = tmp_path / "events.parquet"
    typed.to_parquet(f)
    [r] = load([str(f)], warehouse)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 5)
    assert query(warehouse, "select line_number, reason from raw.quarantine order by 1") == [
        (3, "non-integer product_id '3.7'"),
        (4, "non-integer user_id '12.7'"),
        (5, "non-integer user_id '0x10'"),
        (6, "non-integer user_id '1e3'"),
        (7, "non-integer user_id '1_000'"),
    ]
    expected = [(int(frame.loc[i, "product_id"]), int(frame.loc[i, "user_id"])) for i in (0, 1, 7)]
    assert query(warehouse, "select product_id, user_id from raw.events order by product_id") == expected
