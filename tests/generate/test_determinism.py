"""Same seed, same bytes (CSV and gzip); another seed, other bytes."""

from __future__ import annotations

import gzip
from pathlib import Path

from estore.generate import GenerationConfig, generate

from .support import read_dataset


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_same_bytes_csv(tmp_path: Path) -> None:
    config = GenerationConfig(events=50_000, seed=11)
    generate(tmp_path / "a", config)
    generate(tmp_path / "b", config)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert list(a) == ["2019-Nov.csv", "2019-Oct.csv", "generation.json"]
    assert a == b


def test_same_seed_same_bytes_gzip_and_same_content_as_csv(tmp_path: Path) -> None:
    generate(tmp_path / "a", GenerationConfig(events=50_000, seed=11, gzip=True))
    generate(tmp_path / "b", GenerationConfig(events=50_000, seed=11, gzip=True))
    generate(tmp_path / "csv", GenerationConfig(events=50_000, seed=11))
    a, b, csv = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "csv")
    assert a == b
    for name in ("2019-Oct", "2019-Nov"):
        gz = a[f"{name}.csv.gz"]
        assert gz[:2] == b"\x1f\x8b"
        assert gz[4:8] == b"\x00\x00\x00\x00"  # mtime 0
        assert not gz[3] & 0x08  # no embedded file name
        assert gzip.decompress(gz) == csv[f"{name}.csv"]


def test_different_seed_different_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", GenerationConfig(events=50_000, seed=1))
    generate(tmp_path / "b", GenerationConfig(events=50_000, seed=2))
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["2019-Oct.csv"] != b["2019-Oct.csv"]
    assert a["2019-Nov.csv"] != b["2019-Nov.csv"]


def test_progress_reports_up_to_the_target(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    m = generate(tmp_path, GenerationConfig(events=20_000, months=1), progress=lambda d, t: calls.append((d, t)))
    assert len(calls) == 31  # once per day of October
    done = [d for d, _ in calls]
    assert done == sorted(done) and calls[-1] == (20_000, 20_000)
    assert len(read_dataset(tmp_path).clean) == m["counts"]["events"] == 20_000
