"""The files look like REES46 and the manifest tells the truth about them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from .support import PRICE_RE, TIME_RE, Dataset

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CODE_RE = re.compile(r"^[a-z_]+(\.[a-z_]+){1,3}$")
BRAND_RE = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


def test_monthly_files_with_the_rees46_header(small: Dataset) -> None:
    names = [f["name"] for f in small.manifest["files"]]
    assert names == ["2019-Oct.csv", "2019-Nov.csv"]
    for name in names:
        first = (small.out / name).read_text().split("\n", 1)[0]
        assert first == HEADER


def test_field_formats(small: Dataset) -> None:
    g = small.good
    assert g["event_time"].str.match(TIME_RE).all()
    assert set(g["event_type"]) == {"view", "cart", "purchase"}
    assert g["price"].str.match(PRICE_RE).all()
    price = g["price"].astype(float)
    assert price.min() >= 0 and price.max() <= 2600
    product = g["product_id"].astype(np.int64)
    assert product.min() >= 1_000_978 and product.max() < 110_000_000
    assert g["category_id"].str.len().eq(19).all()
    category = g["category_id"].astype(np.int64)  # fits a signed 64-bit integer
    assert category.min() >= 2_050_000_000_000_000_000 and category.max() <= 2_200_000_000_000_000_000
    codes = g.loc[g["category_code"] != "", "category_code"]
    assert codes.str.match(CODE_RE).all()
    assert codes.str.count(r"\.").max() == 3  # some codes have four levels
    brands = g.loc[g["brand"] != "", "brand"]
    assert brands.str.match(BRAND_RE).all()
    user = g["user_id"].astype(np.int64)
    assert user.min() >= 510_000_000 and user.max() <= 585_000_000
    sessions = g.loc[g["user_session"] != "", "user_session"]
    assert sessions.str.match(UUID_RE).all()
    # each category_id has one category_code; each product one category and one price
    assert g.groupby("category_id")["category_code"].nunique().max() == 1
    assert g.groupby("product_id")["category_id"].nunique().max() == 1
    assert g.groupby("product_id")["price"].nunique().max() == 1


def test_rows_are_time_ordered_within_their_month(small: Dataset) -> None:
    g = small.good
    for name, month in (("2019-Oct.csv", "2019-10"), ("2019-Nov.csv", "2019-11")):
        times = g.loc[g["file"] == name, "event_time"]
        assert times.str.startswith(month).all()
        assert times.is_monotonic_increasing  # the fixed-width format sorts as text


def test_manifest_files_match_disk(small: Dataset) -> None:
    for f in small.manifest["files"]:
        path = small.out / f["name"]
        assert path.stat().st_size == f["bytes"]
        assert len(small.lines[f["name"]]) == f["rows"]


def test_manifest_counts_match_recomputed_counts(small: Dataset) -> None:
    c = small.clean
    counts = small.manifest["counts"]
    assert counts["events"] == len(c) == 200_000
    assert counts["events_by_type"] == c["event_type"].value_counts().to_dict()
    assert counts["users"] == c["user_id"].nunique()
    assert counts["buyers"] == c.loc[c["event_type"] == "purchase", "user_id"].nunique()
    assert counts["sessions"] == c.loc[c["user_session"] != "", "user_session"].nunique()
    assert counts["products"] == c["product_id"].nunique()
    assert counts["brands"] == c.loc[c["brand"] != "", "brand"].nunique()
    assert counts["categories"] == c["category_id"].nunique()
    assert counts["lines"] == sum(len(v) for v in small.lines.values())
    assert small.manifest["clv_truth"]["customers"] == counts["buyers"]


def test_dirt_counts_match_what_is_in_the_files(small: Dataset) -> None:
    dirt = small.manifest["dirt"]
    g, c = small.good, small.clean
    assert dirt["duplicate_rows"] == len(g) - len(c) > 0
    # duplicates are adjacent identical lines
    adjacent = sum(sum(a == b for a, b in zip(lines, lines[1:], strict=False)) for lines in small.lines.values())
    assert adjacent == dirt["duplicate_rows"]
    branded = c[c["brand"] != ""]
    two_brands = (branded.groupby("product_id")["brand"].nunique() > 1).sum()
    assert dirt["products_with_two_brands"] == two_brands > 0
    assert dirt["rows_without_session"] == (c["user_session"] == "").sum() > 0
    assert dirt["malformed_lines"] == small.malformed
    assert all(v >= 1 for v in small.malformed.values()) and len(small.malformed) == 4
    total = sum(len(v) for v in small.lines.values())
    assert total == len(g) + sum(small.malformed.values())


def test_dirt_rates_are_near_the_configured_rates(small: Dataset) -> None:
    cfg, dirt = small.manifest["config"], small.manifest["dirt"]
    n = small.manifest["counts"]["events"]
    # binomial counts: 4 standard deviations
    for key, rate in (
        ("duplicate_rows", cfg["duplicate_rate"]),
        ("rows_without_session", cfg["missing_session_rate"]),
    ):
        assert abs(dirt[key] - n * rate) <= 4 * np.sqrt(n * rate) + 1
    branded_products = small.clean.loc[small.clean["brand"] != "", "product_id"].nunique()
    # a few two-brand products are never seen under both brands, so allow 0.3x-1.5x
    assert 0.3 * cfg["multi_brand_product_rate"] <= dirt["products_with_two_brands"] / branded_products
    assert dirt["products_with_two_brands"] / branded_products <= 1.5 * cfg["multi_brand_product_rate"]


def test_clean_rows_have_no_natural_duplicates(small: Dataset) -> None:
    """Every exact duplicate is injected dirt: a session's events are at least a second apart."""
    c = small.clean
    with_session = c[c["user_session"] != ""]
    assert not with_session.duplicated(subset=["user_session", "event_time"]).any()


def test_big_days_built_in_hour_blocks_stay_ordered_and_counted(tmp_path, monkeypatch) -> None:
    """Days above BLOCK_EVENTS are built in blocks of hours (bounded memory); nothing else changes."""
    import estore.generate.generator as generator

    from .support import read_dataset

    monkeypatch.setattr(generator, "BLOCK_EVENTS", 3000)  # ~8 blocks a day at this size
    generator.generate(tmp_path, generator.GenerationConfig(events=100_000, start="2019-11", months=1, seed=4))
    d = read_dataset(tmp_path)
    c = d.clean
    assert d.good["event_time"].is_monotonic_increasing
    assert d.good["event_time"].max() <= "2019-11-30 23:59:59 UTC"
    counts = d.manifest["counts"]
    assert counts["events"] == len(c) == 100_000
    assert counts["sessions"] == c.loc[c["user_session"] != "", "user_session"].nunique()
    assert counts["users"] == c["user_id"].nunique()
    assert d.manifest["dirt"]["duplicate_rows"] == len(d.good) - len(c)
    assert d.manifest["dirt"]["malformed_lines"] == d.malformed


def test_interrupted_generation_leaves_no_truncated_file(tmp_path, monkeypatch):
    """A crash mid-run leaves every visible CSV complete (the old run's or the new run's bytes),
    no unfinished file, and no manifest (whose presence means the folder is complete)."""
    from estore.generate import GenerationConfig, generate, generator

    old, new, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    generate(old, GenerationConfig(events=20_000, months=2, seed=1))
    generate(new, GenerationConfig(events=20_000, months=2, seed=2))
    generate(out, GenerationConfig(events=20_000, months=2, seed=1))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(generator, "_close", crash)
    with pytest.raises(KeyboardInterrupt):
        generate(out, GenerationConfig(events=20_000, months=2, seed=2))
    assert not (out / "generation.json").exists()
    assert not list(out.glob(".*.partial"))
    # the crash came as the first month closed: both files are still the old run's, whole
    names = sorted(path.name for path in old.glob("*.csv"))
    assert len(names) == 2 and sorted(path.name for path in out.glob("*.csv")) == names
    for name in names:
        assert (out / name).read_bytes() == (old / name).read_bytes() != (new / name).read_bytes()
