"""Bad rows go to raw.quarantine with line number, raw text and reason; the rest loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_files import HEADER, data_lines, good_line, price_sum, query, scalar, write_csv

from estore.ingest import load

# (line text, expected reason); the line number is computed from the position in the file.
BAD = [
    ("2019-10-01 00:00:05 UTC,click,1,2,,,1.00,5,s", "unknown event_type 'click'"),
    ("not a time,view,1,2,,,1.00,5,s", "bad timestamp in event_time: 'not a time'"),
    ("2019-10-01 00:00:05+00,view,1,2,,,1.00,5,s", "bad timestamp in event_time: '2019-10-01 00:00:05+00'"),
    ("2019-13-01 00:00:05 UTC,view,1,2,,,1.00,5,s", "bad timestamp in event_time: '2019-13-01 00:00:05 UTC'"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,abc,5,s", "non-numeric or out-of-range price 'abc'"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,-3.50,5,s", "negative price -3.50"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,12.00,,s", "missing user_id"),
    ("2019-10-01 00:00:05 UTC,,1,2,,,12.00,5,s", "missing event_type"),
    ("2019-10-01 00:00:05 UTC,view,x1,2,,,12.00,5,s", "non-integer product_id 'x1'"),
    ("2019-10-01 00:00:05 UTC,view,1,2", "wrong column count: expected 9, found 4"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,1.00,5,s,surplus", "wrong column count: expected 9, found 10"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,1.00,5,s,a,b,c", "wrong column count: expected 9, found 12"),
    ("2019-10-01 00:00:05 UTC,view,1,2,,,1.00,5,s,,,x", "wrong column count: expected 9, found 12"),
    ('2019-10-01 00:00:05 UTC,view,1,2,,,1.00,5,s,"x,y",z', "wrong column count: expected 9, found 11"),
    (
        "x,y,1,2,,,abc,,s",
        "bad timestamp in event_time: 'x'; unknown event_type 'y'; "
        "non-numeric or out-of-range price 'abc'; missing user_id",
    ),
]


def _mixed_file(path: Path, eol: str = "\n") -> tuple[Path, dict[int, tuple[str, str]]]:
    """Good lines with the bad ones interleaved; returns {line number: (text, reason)}."""
    lines: list[str] = []
    expected: dict[int, tuple[str, str]] = {}
    for i, (text, reason) in enumerate(BAD):
        lines += [good_line(10 * i + k) for k in range(3)]
        lines.append(text)
        expected[len(lines) + 1] = (text, reason)  # +1: the header is line 1
    lines += [good_line(999), good_line(1000)]
    return write_csv(path, lines, eol=eol), expected


@pytest.mark.parametrize("name,eol", [("mixed.csv", "\n"), ("mixed-crlf.csv", "\r\n"), ("mixed.csv.gz", "\n")])
def test_bad_rows_are_quarantined_with_line_number_text_and_reason(
    tmp_path: Path, warehouse: Path, name: str, eol: str
) -> None:
    f, expected = _mixed_file(tmp_path / name, eol)
    [r] = load([str(f)], warehouse)
    assert r.status == "loaded"
    rows = query(warehouse, "select line_number, raw_line, reason, path, load_id from raw.quarantine order by 1")
    assert [(n, text, reason) for n, text, reason, _, _ in rows] == [(n, *v) for n, v in sorted(expected.items())]
    assert {(p, lid) for *_, p, lid in rows} == {(str(f), r.load_id)}

    all_lines = data_lines(f)
    good = [line for line in all_lines if line not in {t for t, _ in BAD}]
    assert r.rows_quarantined == len(BAD)
    assert r.rows_loaded == len(good)
    assert r.rows_loaded + r.rows_quarantined == len(all_lines)  # the invariant
    assert query(warehouse, "select count(*), sum(price) from raw.events") == [(len(good), price_sum(good))]
    assert query(warehouse, "select rows_loaded, rows_quarantined from raw.load_ledger") == [(len(good), len(BAD))]


@pytest.mark.parametrize("name,eol", [("tail.csv", "\n"), ("tail-crlf.csv", "\r\n"), ("tail.csv.gz", "\n")])
def test_every_bad_line_keeps_its_number_when_the_file_ends_in_an_unterminated_quote(
    tmp_path: Path, warehouse: Path, name: str, eol: str
) -> None:
    """DuckDB numbers cast errors one line too low in such a file; the loader numbers them again."""
    plain, expected = _mixed_file(tmp_path / "plain.csv")
    lines = data_lines(plain) + ['2019-10-01 00:00:05 UTC,view,1,2,"open,,1.00,5,s', good_line(7), good_line(8)]
    f = write_csv(tmp_path / name, lines, eol=eol)
    opened = len(lines) - 1  # the line number of the open quote (the header is line 1)
    expected |= {
        n: (lines[n - 2], f"unterminated quote (quoted value opened on line {opened})")
        for n in range(opened, opened + 3)
    }
    [r] = load([str(f)], warehouse)
    rows = query(warehouse, "select line_number, raw_line, reason from raw.quarantine order by 1")
    assert rows == [(n, *v) for n, v in sorted(expected.items())]
    assert (r.rows_loaded, r.rows_quarantined) == (len(lines) - len(expected), len(expected))


def test_line_numbers_match_the_file(tmp_path: Path, warehouse: Path) -> None:
    f, expected = _mixed_file(tmp_path / "mixed.csv")
    load([str(f)], warehouse)
    physical = f.read_text().split("\n")
    rows = query(warehouse, "select line_number, raw_line from raw.quarantine order by 1")
    assert [n for n, _ in rows] == sorted(expected)
    assert [raw_line for _, raw_line in rows] == [physical[n - 1] for n, _ in rows]


def test_empty_values_become_null(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "nulls.csv", ["2019-10-01 00:00:04 UTC,view,1,2,,,0.00,5,"])
    load([str(f)], warehouse)
    assert query(
        warehouse,
        "select event_time, event_type, category_code, brand, price, user_session from raw.events",
    ) == [(__import__("datetime").datetime(2019, 10, 1, 0, 0, 4), "view", None, None, 0, None)]


def test_unterminated_quote_quarantines_every_line_it_swallows(tmp_path: Path, warehouse: Path) -> None:
    lines = [good_line(1), good_line(2), '2019-10-01 00:00:05 UTC,view,1,2,"open,,1.00,5,s'] + [
        good_line(i) for i in range(3, 8)
    ]
    f = write_csv(tmp_path / "quote.csv", lines)
    [r] = load([str(f)], warehouse)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 6)
    assert r.rows_loaded + r.rows_quarantined == len(data_lines(f))
    assert [n for (n,) in query(warehouse, "select line_number from raw.quarantine order by 1")] == list(range(4, 10))


def test_all_rows_bad_loads_nothing_but_records_the_file(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "bad.csv", [text for text, _ in BAD])
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 0, len(BAD))
    assert scalar(warehouse, "select count(*) from raw.quarantine") == len(BAD)


def test_header_only_file_loads_zero_rows(tmp_path: Path, warehouse: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text(HEADER + "\n")
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 0, 0)
    assert scalar(warehouse, "select count(*) from raw.load_ledger") == 1


def test_zero_byte_file_is_refused(tmp_path: Path, warehouse: Path) -> None:
    f = tmp_path / "nothing.csv"
    f.write_bytes(b"")
    [r] = load([str(f)], warehouse)
    assert r.status == "refused" and str(f) in (r.message or "") and "empty" in (r.message or "")


def test_gzip_file_named_csv_is_refused_with_the_fix(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "2019-Oct.csv.gz", [good_line(i) for i in range(5)]).rename(tmp_path / "2019-Oct.csv")
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded) == ("refused", 0)
    assert r.message == f"{f}: is gzip-compressed but named .csv; rename it to end in .csv.gz; nothing loaded"
    assert scalar(warehouse, "select count(*) from raw.load_ledger") == 0


@pytest.mark.parametrize(
    "header,words",
    [
        (HEADER.replace(",brand", ""), ["missing column(s) brand"]),
        (HEADER + ",extra", ["unexpected column(s) 'extra'"]),
        (HEADER.replace("product_id,category_id", "category_id,product_id"), ["wrong order"]),
        (HEADER.replace("price", "Price"), ["missing column(s) price", "unexpected column(s) 'Price'"]),
        (HEADER.replace(",", ";"), ["the columns are separated by semicolons; REES46 files separate them by commas"]),
    ],
)
def test_wrong_header_is_refused_whole(tmp_path: Path, warehouse: Path, header: str, words: list[str]) -> None:
    f = write_csv(tmp_path / "wrong.csv.gz", [good_line(i) for i in range(5)], header=header)
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded) == ("refused", 0)
    for word in words:
        assert word in (r.message or "")
    assert str(f) in (r.message or "")
    assert scalar(warehouse, "select count(*) from raw.events") == 0
    assert scalar(warehouse, "select count(*) from raw.load_ledger") == 0


def test_corrupt_gzip_is_refused(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "ok.csv.gz", [good_line(i) for i in range(2000)])
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])  # truncated download
    [r] = load([str(f)], warehouse)
    assert r.status == "refused" and str(f) in (r.message or "")
    assert scalar(warehouse, "select count(*) from raw.events") == 0


def _row(i: int, *, brand: str = "apple", price: str = "12.50", session: str | None = None) -> str:
    return (
        f"2019-10-01 00:00:0{i} UTC,view,{1000 + i},2053013555631882655,electronics.smartphone,{brand},{price},"
        f"512000000,{session if session is not None else f's{i}'}"
    )


def _write(path: Path, records: list[str], eol: str) -> Path:
    """The header and the records, each ended by eol (also the newlines inside quoted values)."""
    return write_csv(path, [r.replace("\n", eol) for r in records], eol=eol)


@pytest.mark.parametrize("name,eol", [("neg.csv", "\n"), ("neg-crlf.csv", "\r\n"), ("neg.csv.gz", "\n")])
def test_negative_price_after_a_quoted_newline_and_before_an_unterminated_quote(
    tmp_path: Path, warehouse: Path, name: str, eol: str
) -> None:
    """Both scans (the first, and the rescan for negative prices) number lines the same way."""
    f = _write(
        tmp_path / name,
        [_row(0, brand='"b\nx"'), _row(1, price="bad"), _row(2, price="-9.5"), _row(3, brand='"open')],
        eol,
    )
    # line 1 the header, lines 2-3 the quoted newline, then one line each
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 1, 3)
    assert query(warehouse, "select line_number, raw_line, reason from raw.quarantine order by 1") == [
        (4, _row(1, price="bad"), "non-numeric or out-of-range price 'bad'"),
        (5, _row(2, price="-9.5"), "negative price -9.5"),
        (6, _row(3, brand='"open'), "unterminated quote (quoted value opened on line 6)"),
    ]
    assert query(warehouse, "select brand from raw.events") == [(f"b{eol}x",)]


@pytest.mark.parametrize("name,eol", [("qnl.csv", "\n"), ("qnl-crlf.csv", "\r\n"), ("qnl.csv.gz", "\n")])
def test_line_numbers_are_those_of_the_file_after_quoted_newlines(
    tmp_path: Path, warehouse: Path, name: str, eol: str
) -> None:
    records = [
        _row(0, brand='"multi\nline"'),  # lines 2-3, loaded
        _row(1, price="bad"),  # line 4
        _row(2, session='"a\n\nb"'),  # lines 5-7, loaded
        _row(3, brand='"x\ny"', price="nope"),  # lines 8-9, rejected: numbered by its first line
        _row(4),  # line 10
        _row(5, price="-1.00"),  # line 11
        _row(6, brand='"c\nd"', price="-2.00"),  # lines 12-13, a negative price spanning two lines
        _row(7, price="oops"),  # line 14
    ]
    f = _write(tmp_path / name, records, eol)
    [r] = load([str(f)], warehouse)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 5)
    assert query(warehouse, "select line_number, reason from raw.quarantine order by 1") == [
        (4, "non-numeric or out-of-range price 'bad'"),
        (8, "non-numeric or out-of-range price 'nope'"),
        (11, "negative price -1.00"),
        (12, "negative price -2.00"),
        (14, "non-numeric or out-of-range price 'oops'"),
    ]
    raw = query(warehouse, "select raw_line from raw.quarantine where line_number = 8")[0][0]
    assert raw == records[3].replace("\n", eol)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_only_negative_prices_after_a_quoted_newline(tmp_path: Path, warehouse: Path, eol: str) -> None:
    f = _write(tmp_path / "neg-only.csv", [_row(0, session='"s\n0"'), _row(1), _row(2, price="-3.00")], eol)
    [r] = load([str(f)], warehouse)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    assert query(warehouse, "select line_number, raw_line from raw.quarantine") == [(5, _row(2, price="-3.00"))]


@pytest.mark.xfail(
    strict=True,
    reason="DuckDB 2.0's CSV reader casts integers leniently (rounds 12.5, reads 0x1F, 1e3, 1_000) and has no "
    "strict option; checking the id strings in SQL cost about 10% more load time on the benchmark (see the "
    "quarantine module docstring)",
)
def test_csv_ids_that_are_not_integers_are_quarantined(tmp_path: Path, warehouse: Path) -> None:
    values = ["512000000.5", "0x1F", "1e3", "1_000"]
    f = write_csv(
        tmp_path / "ids.csv", [good_line(1)] + [f"2019-10-01 00:00:05 UTC,view,1,2,,,1.00,{v},s" for v in values]
    )
    [r] = load([str(f)], warehouse)
    assert query(warehouse, "select line_number, reason from raw.quarantine order by 1") == [
        (3 + i, f"non-integer user_id '{v}'") for i, v in enumerate(values)
    ]
    assert (r.rows_loaded, r.rows_quarantined) == (1, 4)


@pytest.mark.xfail(
    strict=True,
    reason="DuckDB 2.0's CSV reader drops empty fields past the last column without an error or a reject; "
    "telling them apart needs each line's raw text, i.e. a second parse of every file",
)
def test_trailing_empty_fields_are_a_wrong_column_count(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "trail.csv", [good_line(1) + ",,,", good_line(2)])
    [r] = load([str(f)], warehouse)
    assert query(warehouse, "select line_number, reason from raw.quarantine") == [
        (2, "wrong column count: expected 9, found 12")
    ]
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
