"""`estore export`: customer lists for marketing tools, checked against the warehouse."""

from __future__ import annotations

import pandas as pd
import pytest
from e2e.support import estore, query

from . import expected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_of_a_segment_holds_its_customers(workspace, tmp_path, fmt):
    out = tmp_path / f"lost.{fmt}"
    result = estore(workspace, "export", "--segment", "Lost", "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    got = (pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)).sort_values("user_id")
    want = expected.segment_customers(workspace, "Lost")
    assert f"{len(want):,} customers written" in result.stdout
    assert got.user_id.tolist() == want.user_id.tolist()
    assert got.revenue.tolist() == pytest.approx(want.revenue.tolist(), abs=0.005)
    assert (
        got[["r_score", "f_score", "m_score"]].values.tolist()
        == want[["r_score", "f_score", "m_score"]].values.tolist()
    )


def test_export_limited_to_a_category_and_period(workspace, tmp_path):
    category = expected.biggest_category(workspace)
    out = tmp_path / "cat.csv"
    args = ["export", "--category", category, "--from", "2019-11-01", "--to", "2019-11-30", "--out", str(out)]
    result = estore(workspace, *args)
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(out)
    want = query(
        workspace,
        f"""
        select e.user_id, sum(e.price)::double as spent
        from marts.fct_events e
        join marts.dim_categories c on e.category_id = c.category_id
        join marts.fct_sessions s on e.session_key = s.session_key
        where e.event_type = 'purchase' and c.level_1 = '{category}'
          and cast(s.session_start as date) between '2019-11-01' and '2019-11-30'
        group by 1 order by 1
        """,
    )
    got = got.sort_values("user_id")
    assert got.user_id.tolist() == want.user_id.tolist()
    assert got.period_revenue.tolist() == pytest.approx(want.spent.tolist(), abs=0.005)


def test_export_refuses_an_unknown_segment(workspace, tmp_path):
    result = estore(workspace, "export", "--segment", "Whales", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 1
    assert "unknown segment 'Whales'" in result.stderr and "At Risk" in result.stderr


def test_export_to_an_unwritable_path_is_named_and_an_existing_file_kept(workspace, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = estore(workspace, "export", "--out", str(tmp_path / "taken" / "x.csv"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"--out {tmp_path / 'taken' / 'x.csv'}: cannot write it" in result.stderr.replace("\n", "")
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


def test_the_format_follows_the_file_name_and_a_contradiction_is_refused(workspace, tmp_path):
    want = expected.segment_customers(workspace, "Lost")
    result = estore(workspace, "export", "--segment", "Lost", "--out", str(tmp_path / "lost.parquet"))
    assert result.returncode == 0, result.stderr
    assert pd.read_parquet(tmp_path / "lost.parquet").sort_values("user_id").user_id.tolist() == want.user_id.tolist()
    result = estore(workspace, "export", "--format", "parquet", "--out", str(tmp_path / "lost.csv"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"--format parquet does not match --out {tmp_path / 'lost.csv'}" in result.stderr.replace("\n", "")
    assert not (tmp_path / "lost.csv").exists()
