from __future__ import annotations

from pathlib import Path

import pytest
from ingest_files import good_line, write_csv

from estore.errors import EstoreError
from estore.ingest import discover


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    (root / "2019" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ["2019-Oct.csv", "2019-Nov.csv.gz", "2019/2019-Dec.parquet", "2019/deep/2020-Jan.csv"]:
        (root / name).write_bytes(b"x")
    for name in ["notes.txt", "2019/readme.md", ".hidden/2019-Feb.csv"]:
        (root / name).write_bytes(b"x")
    return root


def test_folder_is_expanded_recursively_in_month_order_absolute_and_skips_other_files(landing: Path) -> None:
    # calendar order across folders, although "2019-Dec" < "2019-Nov" < "2019-Oct" by name
    expected = [
        str((landing / n).resolve())
        for n in ["2019-Oct.csv", "2019-Nov.csv.gz", "2019/2019-Dec.parquet", "2019/deep/2020-Jan.csv"]
    ]
    assert discover([str(landing)]) == expected


def test_files_not_named_by_month_follow_the_months_by_path(landing: Path) -> None:
    for name in ["b-export.csv", "a-export.csv", "2019-Octopus.csv"]:
        (landing / name).write_bytes(b"x")
    found = [Path(p).name for p in discover([str(landing)])]
    assert found == [
        "2019-Oct.csv", "2019-Nov.csv.gz", "2019-Dec.parquet", "2020-Jan.csv",
        "2019-Octopus.csv", "a-export.csv", "b-export.csv",
    ]  # fmt: skip


def test_glob_matches_only_event_files(landing: Path) -> None:
    assert discover([str(landing / "2019-*")]) == [str(landing / "2019-Oct.csv"), str(landing / "2019-Nov.csv.gz")]
    assert discover([str(landing / "**" / "*.csv")]) == [
        str(landing / "2019-Oct.csv"),
        str(landing / "2019" / "deep" / "2020-Jan.csv"),
    ]


def test_same_file_reached_twice_is_listed_once(landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(landing)
    found = discover(["2019-Oct.csv", str(landing / "2019-Oct.csv"), "*.csv"])
    assert found == [str(landing / "2019-Oct.csv")]


@pytest.mark.parametrize("arg", ["missing.csv", "nothing-*.csv", "empty-folder"])
def test_path_matching_nothing_raises_naming_it(landing: Path, arg: str) -> None:
    (landing / "empty-folder").mkdir()
    with pytest.raises(EstoreError, match=arg.replace("*", r"\*")):
        discover([str(landing / "2019-Oct.csv"), str(landing / arg)])


def test_named_file_of_another_kind_raises(landing: Path) -> None:
    with pytest.raises(EstoreError, match="notes.txt"):
        discover([str(landing / "notes.txt")])


def test_discovered_paths_load(tmp_path: Path, warehouse: Path) -> None:
    from estore.ingest import load

    write_csv(tmp_path / "a.csv", [good_line(i) for i in range(5)])
    write_csv(tmp_path / "b.csv.gz", [good_line(i) for i in range(100, 103)])
    results = load([str(tmp_path / "*.csv*")], warehouse)
    assert [(Path(r.path).name, r.status, r.rows_loaded) for r in results] == [
        ("a.csv", "loaded", 5),
        ("b.csv.gz", "loaded", 3),
    ]
