"""The ledger: same content never loads twice; changed content is refused unless replaced."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from ingest_files import data_lines, good_line, price_sum, query, scalar, write_csv

from estore.ingest import load


def _events(warehouse: Path) -> tuple[int, object]:
    return query(warehouse, "select count(*), sum(price) from raw.events")[0]


def test_first_load_records_ledger_row(tmp_path: Path, warehouse: Path) -> None:
    import xxhash

    f = write_csv(tmp_path / "2019-Oct.csv", [good_line(i) for i in range(50)])
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 50, 0)
    ledger = query(
        warehouse,
        "select load_id, path, file_name, size_bytes, content_hash, rows_loaded, rows_quarantined, status, "
        "seconds >= 0, loaded_at is not null from raw.load_ledger",
    )
    expected_hash = xxhash.xxh3_128(f.read_bytes()).hexdigest()
    assert ledger == [(r.load_id, str(f), "2019-Oct.csv", f.stat().st_size, expected_hash, 50, 0, "loaded", True, True)]
    assert scalar(warehouse, "select count(*) from raw.events where load_id = ?", [r.load_id]) == 50


def test_same_file_twice_loads_once(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(40)])
    [first] = load([str(f)], warehouse)
    [second] = load([str(f)], warehouse)
    assert first.status == "loaded"
    assert (second.status, second.rows_loaded) == ("skipped", 0)
    assert "already loaded from this path" in (second.message or "")
    assert _events(warehouse) == (40, price_sum(data_lines(f)))
    assert scalar(warehouse, "select count(*) from raw.load_ledger") == 1


def test_renamed_copy_is_skipped_naming_the_earlier_path(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(40)])
    copy = tmp_path / "other" / "renamed.csv"
    copy.parent.mkdir()
    shutil.copy(f, copy)
    [first] = load([str(f)], warehouse)
    [r] = load([str(copy)], warehouse)
    assert (r.status, r.load_id) == ("skipped", first.load_id)  # the load that holds the content
    assert str(f) in (r.message or "")
    assert _events(warehouse)[0] == 40
    # both in one call: the second is skipped too
    [a, b] = load([str(tmp_path / "a.csv"), str(copy)], warehouse)
    assert (a.status, b.status) == ("skipped", "skipped")


def test_copy_in_the_same_call_is_skipped(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(10)])
    shutil.copy(f, tmp_path / "b.csv")
    results = load([str(tmp_path)], warehouse)
    assert [r.status for r in results] == ["loaded", "skipped"]
    assert _events(warehouse)[0] == 10


def test_changed_content_is_refused_then_replaced(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "2019-Oct.csv", [good_line(i) for i in range(30)])
    [old] = load([str(f)], warehouse)
    # the file grows and one existing line changes
    write_csv(f, [good_line(i) for i in range(1, 45)] + ["2019-10-01 00:00:00 UTC,cart,1,2,,,1.00,5,"])
    new_lines = data_lines(f)

    [refused] = load([str(f)], warehouse)
    assert (refused.status, refused.rows_loaded) == ("refused", 0)
    assert str(f) in (refused.message or "") and "--replace" in (refused.message or "")
    assert _events(warehouse)[0] == 30

    [replaced] = load([str(f)], warehouse, replace=True)
    assert (replaced.status, replaced.rows_loaded) == ("replaced", len(new_lines))
    assert _events(warehouse) == (len(new_lines), price_sum(new_lines))
    assert query(warehouse, "select load_id, status from raw.load_ledger order by load_id") == [
        (old.load_id, "replaced"),
        (replaced.load_id, "loaded"),
    ]
    assert query(warehouse, "select distinct load_id from raw.events") == [(replaced.load_id,)]
    # replacing again with the same content is a skip, not a second copy
    [again] = load([str(f)], warehouse, replace=True)
    assert again.status == "skipped"
    assert _events(warehouse)[0] == len(new_lines)


def test_replace_removes_old_quarantine_rows(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [good_line(1), "bad,view,1,2,,,1.00,5,s"])
    load([str(f)], warehouse)
    assert scalar(warehouse, "select count(*) from raw.quarantine") == 1
    write_csv(f, [good_line(1), good_line(2)])
    [r] = load([str(f)], warehouse, replace=True)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("replaced", 2, 0)
    assert scalar(warehouse, "select count(*) from raw.quarantine") == 0


def test_load_continues_after_a_refusal(tmp_path: Path, warehouse: Path) -> None:
    write_csv(tmp_path / "a.csv", [good_line(i) for i in range(5)], header="event_time,event_type")
    write_csv(tmp_path / "b.csv", [good_line(i) for i in range(7)])
    results = load([str(tmp_path)], warehouse)
    assert [(r.status, r.rows_loaded) for r in results] == [("refused", 0), ("loaded", 7)]
    assert _events(warehouse)[0] == 7
    assert scalar(warehouse, "select count(*) from raw.load_ledger") == 1


def test_exact_duplicate_rows_are_kept(tmp_path: Path, warehouse: Path) -> None:
    lines = [good_line(1), good_line(1), good_line(1), good_line(2)]
    f = write_csv(tmp_path / "dups.csv", lines)
    [r] = load([str(f)], warehouse)
    assert r.rows_loaded == 4
    sql = "select count(*), count(distinct (event_time, product_id)) from raw.events"
    assert query(warehouse, sql) == [(4, 2)]


def test_same_rows_in_other_bytes_are_skipped(tmp_path: Path, warehouse: Path) -> None:
    lines = [good_line(i) for i in range(30)] + ["bad,view,1,2,,,1.00,5,s"]
    f = write_csv(tmp_path / "2019-Oct.csv", lines)
    [first] = load([str(f)], warehouse)
    # the same rows: gzip-compressed, with CRLF line endings, in another order
    (tmp_path / "crlf").mkdir()
    variants = [
        write_csv(tmp_path / "2019-Oct.csv.gz", lines),
        write_csv(tmp_path / "crlf" / "2019-Oct.csv", lines, eol="\r\n"),
        write_csv(tmp_path / "shuffled.csv", lines[::-1]),
    ]
    for variant in variants:
        [r] = load([str(variant)], warehouse)
        assert (r.status, r.rows_loaded, r.load_id) == ("skipped", 0, first.load_id), variant
        assert r.message == (
            "same rows, in other bytes (another compression or format), already loaded from "
            f"{f} (load {first.load_id}, {_loaded_at(warehouse)} UTC, 30 rows); nothing loaded"
        )
    assert _events(warehouse) == (30, price_sum(lines[:30]))  # the good lines, once
    assert scalar(warehouse, "select count(*) from raw.quarantine") == 1
    # the same events as parquet, where the bad line cannot be: other content, so it loads
    parquet = tmp_path / "2019-Oct.parquet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"copy (select * exclude (load_id) from raw.events) to '{parquet}' (format parquet)")
    [r] = load([str(parquet)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 30, 0)


def test_same_counts_but_other_rows_load(tmp_path: Path, warehouse: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(20)])
    b = write_csv(tmp_path / "b.csv", [good_line(i) for i in range(19)] + [good_line(19, price="9.99")])
    c = write_csv(tmp_path / "c.csv", [good_line(i) for i in range(19)] + [good_line(0)])  # a row twice
    results = load([str(a), str(b), str(c)], warehouse)
    assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 20)] * 3
    assert _events(warehouse) == (60, price_sum(data_lines(a) + data_lines(b) + data_lines(c)))


def _loaded_at(warehouse: Path) -> str:
    return query(warehouse, "select strftime(min(loaded_at), '%Y-%m-%d %H:%M') from raw.load_ledger")[0][0]


@pytest.mark.parametrize("eol,what", [("\n", "its new content"), ("\r\n", "the same rows, in other bytes,")])
def test_path_changed_to_the_content_of_another_loaded_file(
    tmp_path: Path, warehouse: Path, eol: str, what: str
) -> None:
    a = write_csv(tmp_path / "a.csv", [good_line(i) for i in range(30)])
    b_lines = [good_line(i) for i in range(100, 120)]
    b = write_csv(tmp_path / "b.csv", b_lines)
    [old_a, old_b] = load([str(a), str(b)], warehouse)
    write_csv(a, b_lines, eol=eol)  # a.csv now holds b.csv's rows (the same bytes, or with CRLF)

    [refused] = load([str(a)], warehouse)
    assert (refused.status, refused.rows_loaded) == ("refused", 0)
    assert refused.message == (
        f"{a}: content changed since it was loaded (load {old_a.load_id}, {_loaded_at(warehouse)} UTC); "
        "pass --replace to replace its rows"
    )
    assert _events(warehouse) == (50, price_sum([good_line(i) for i in range(30)] + b_lines))  # unchanged

    [r] = load([str(a)], warehouse, replace=True)
    assert (r.status, r.rows_loaded, r.rows_quarantined, r.load_id) == ("replaced", 0, 0, old_b.load_id)
    assert r.message == (
        f"replaced load {old_a.load_id}, whose rows are removed; {what} already loaded from {b} "
        f"(load {old_b.load_id}, {_loaded_at(warehouse)} UTC, 20 rows); nothing new loaded"
    )
    assert _events(warehouse) == (20, price_sum(b_lines))  # b's rows, once; a's old rows are gone
    assert query(warehouse, "select distinct load_id from raw.events") == [(old_b.load_id,)]
    assert query(warehouse, "select path, status from raw.load_ledger order by load_id") == [
        (str(a), "replaced"),
        (str(b), "loaded"),
    ]
    [again] = load([str(a)], warehouse)  # now a copy of b's content at another path: skipped
    assert (again.status, again.load_id) == ("skipped", old_b.load_id)
    assert _events(warehouse)[0] == 20
