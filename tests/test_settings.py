from pathlib import Path

import pytest

from estore.errors import EstoreError
from estore.settings import load_settings, parse_var


def test_workspace_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("ESTORE_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert load_settings().warehouse == tmp_path / "estore-data" / "warehouse.duckdb"
    monkeypatch.setenv("ESTORE_WORKSPACE", str(tmp_path / "env"))
    assert load_settings().workspace == tmp_path / "env"
    assert load_settings(tmp_path / "opt").workspace == tmp_path / "opt"


def test_config_file_vars_then_cli_vars(tmp_path):
    (tmp_path / "estore.toml").write_text(
        "[dbt.vars]\nchurn_days = 120\nsession_timeout_minutes = 30\nas_of_date = 2019-11-30\n"
        '[duckdb]\nmemory_limit = "3GB"\n'
    )
    settings = load_settings(tmp_path, {"churn_days": 45})
    assert settings.dbt_vars == {"churn_days": 45, "session_timeout_minutes": 30, "as_of_date": "2019-11-30"}
    assert settings.memory_limit == "3GB"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dbt.varz]\nx = 1\n", "unknown setting(s) varz"),
        ("[duck]\n", "unknown section [duck]"),
        ("x = [", "TOML"),
    ],
)
def test_bad_config_names_file_and_setting(tmp_path, text, message):
    (tmp_path / "estore.toml").write_text(text)
    with pytest.raises(EstoreError, match="estore.toml") as exc:
        load_settings(tmp_path)
    assert message in str(exc.value)


def test_parse_var():
    assert parse_var("churn_days=120") == ("churn_days", 120)
    assert parse_var("as_of_date=2019-11-30") == ("as_of_date", "2019-11-30")
    assert parse_var("segment=Lost") == ("segment", "Lost")
    assert parse_var("rfm_bins = 4") == ("rfm_bins", 4)
    with pytest.raises(EstoreError, match="KEY=VALUE"):
        parse_var("churn_days")


def test_paths_are_inside_workspace(tmp_path):
    s = load_settings(tmp_path)
    assert s.logs_dir == Path(tmp_path) / "logs"
