"""Bad settings fail early with a message naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from estore.errors import EstoreError
from estore.generate import GenerationConfig, generate

from .support import read_dataset


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"months": 0}, "--months must be >= 1"),
        ({"events": 10}, "--events must be an integer >= 1000"),
        ({"events": 10**12}, "--events must be <= 2,000,000,000 .* got 1,000,000,000,000"),
        ({"start": "2019-13"}, "--start must be a month as YYYY-MM"),
        ({"start": "Oct 2019"}, "--start must be a month as YYYY-MM"),
        ({"seed": -1}, "--seed must be a non-negative integer"),
        ({"duplicate_rate": 1.5}, "--duplicate-rate must be between"),
        ({"malformed_rate": -0.1}, "--malformed-rate must be between"),
        ({"bgnbd_alpha": 0}, "--bgnbd-alpha must be a positive number"),
        ({"gg_q": 0.9}, "--gg-q must be > 1"),
        ({"buyer_share": 0}, "--buyer-share must be between"),
    ],
)
def test_invalid_settings_name_the_option(tmp_path: Path, change: dict, message: str) -> None:
    config = GenerationConfig(**{"events": 5000, "months": 1, **change})
    with pytest.raises(EstoreError, match=message):
        generate(tmp_path / "out", config)
    assert not (tmp_path / "out").exists()  # nothing written


def test_other_start_months_and_year_rollover(tmp_path: Path) -> None:
    m = generate(tmp_path, GenerationConfig(events=30_000, start="2019-12", months=3, seed=5))
    assert [f["name"] for f in m["files"]] == ["2019-Dec.csv", "2020-Jan.csv", "2020-Feb.csv"]
    assert len(read_dataset(tmp_path).clean) == m["counts"]["events"] == 30_000
    feb = (tmp_path / "2020-Feb.csv").read_text().splitlines()
    assert feb[-1].startswith("2020-02-29 ")  # leap day, and the last day is filled
