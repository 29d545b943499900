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
    settings = load_settings(tmp_path, {"churn_days": 150})
    assert settings.dbt_vars == {"churn_days": 150, "session_timeout_minutes": 30, "as_of_date": "2019-11-30"}
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
    assert parse_var("as_of_date=null") == ("as_of_date", None)
    with pytest.raises(EstoreError, match="KEY=VALUE"):
        parse_var("churn_days")


def test_null_on_the_command_line_undoes_the_config_file(tmp_path):
    (tmp_path / "estore.toml").write_text("[dbt.vars]\nas_of_date = 2019-11-30\n")
    assert load_settings(tmp_path, {}).dbt_vars["as_of_date"] == "2019-11-30"
    assert load_settings(tmp_path, dict([parse_var("as_of_date=null")])).dbt_vars["as_of_date"] is None
    with pytest.raises(EstoreError, match="--var churn_days = null is not valid; expected a whole number"):
        load_settings(tmp_path, dict([parse_var("churn_days=null")]))


def test_paths_are_inside_workspace(tmp_path):
    s = load_settings(tmp_path)
    assert (s.warehouse, s.serving, s.logs_dir, s.config_file, s.dagster_home, s.landing) == (
        tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb", tmp_path / "logs",
        tmp_path / "estore.toml", tmp_path / "dagster", str(tmp_path.resolve() / "landing"),
    )  # fmt: skip


def test_workspace_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "ws").write_text("not a folder")
    with pytest.raises(EstoreError, match=r"^workspace \S*/ws is a file, not a folder"):
        load_settings(tmp_path / "ws")
    with pytest.raises(EstoreError, match=r"^workspace \S*/ws/sub/dir: \S*/ws is a file, not a folder"):
        load_settings(tmp_path / "ws" / "sub" / "dir")


@pytest.mark.parametrize(
    ("env", "text", "message"),
    [
        ({"ESTORE_THREADS": "abc"}, "", "ESTORE_THREADS = 'abc' is not valid; expected a whole number of at least 1"),
        ({}, "[duckdb]\nthreads = 0\n", "estore.toml: [duckdb] threads = 0 is not valid"),
        (
            {"ESTORE_MEMORY_LIMIT": "lots"},
            "",
            "ESTORE_MEMORY_LIMIT = 'lots' is not valid; expected an amount of memory",
        ),
        ({}, '[duckdb]\nmemory_limit = "3"\n', "estore.toml: [duckdb] memory_limit = '3' is not valid"),
        ({}, '[clv]\nhorizon_months = "twelve"\n', "estore.toml: [clv] horizon_months = 'twelve' is not valid"),
        (
            {},
            "[clv]\nannual_discount_rate = 10\n",
            "[clv] annual_discount_rate = 10 is not valid; expected a yearly rate",
        ),
        ({}, "[dbt]\nvars = 5\n", "estore.toml: [dbt] vars must be a table"),
    ],
)
def test_bad_setting_is_named(tmp_path, monkeypatch, env, text, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "estore.toml").write_text(text)
    with pytest.raises(EstoreError) as exc:
        load_settings(tmp_path)
    assert message in str(exc.value)


def test_settings_from_environment_and_file(tmp_path, monkeypatch):
    (tmp_path / "estore.toml").write_text('[duckdb]\nthreads = 1\nmemory_limit = "80%"\n[clv]\nhorizon_months = 6\n')
    settings = load_settings(tmp_path)
    assert (settings.threads, settings.memory_limit, settings.clv_horizon_months) == (1, "80%", 6)
    monkeypatch.setenv("ESTORE_THREADS", "2")
    monkeypatch.setenv("ESTORE_MEMORY_LIMIT", "2GB")
    settings = load_settings(tmp_path)
    assert (settings.threads, settings.memory_limit) == (2, "2GB")


@pytest.mark.parametrize(
    ("var", "message"),
    [
        ("churn_dayz=120", "--var churn_dayz: unknown dbt var 'churn_dayz'; known: active_days,"),
        ("churn_days=abc", "--var churn_days = 'abc' is not valid; expected a whole number of at least 1"),
        ("session_timeout_minutes=-5", "--var session_timeout_minutes = -5 is not valid"),
        ("rfm_bins=1", "--var rfm_bins = 1 is not valid; expected a whole number of at least 2"),
        ("as_of_date=2019-13-01", "--var as_of_date = '2019-13-01' is not valid; expected a date as YYYY-MM-DD"),
        ("as_of_date=20191130", "--var as_of_date = 20191130 is not valid"),
        ("migration_to_date=yesterday", "--var migration_to_date = 'yesterday' is not valid"),
        ("migration_from_date=2019-11-01T12:00:00", "migration_from_date = '2019-11-01T12:00:00' is not valid"),
        ("session_quality_event_bounds=[5, 1]", "--var session_quality_event_bounds = [5, 1] is not valid"),
        ("session_quality_duration_bounds_seconds=[]", "--var session_quality_duration_bounds_seconds = []"),
        ('rfm_segments=[{name = "All", r = [1, 5]}]', "--var rfm_segments = [{'name': 'All', 'r': [1, 5]}] is not"),
        ('rfm_segments=[{name = "All", r = [5, 1], fm = [1, 5]}]', "--var rfm_segments = "),
        ('rfm_segments=[{name = "All", r = [1, 5], fm = [1, 5], action = 3}]', 'action = "..."}'),
        ('rfm_segments=[{name = "All", r = [1, 5], fm = [1, 5], todo = "x"}]', "--var rfm_segments = "),
        (
            "declining_days=10",
            "active_days (30) <= declining_days (10) <= churn_days (90) does not hold; set by --var declining_days",
        ),
    ],
)
def test_bad_dbt_var_is_named(tmp_path, var, message):
    with pytest.raises(EstoreError) as exc:
        load_settings(tmp_path, dict([parse_var(var)]))
    assert message in str(exc.value)


def test_bad_dbt_var_in_config_file_names_the_file(tmp_path):
    (tmp_path / "estore.toml").write_text("[dbt.vars]\nactive_days = 45\n")
    with pytest.raises(EstoreError) as exc:
        load_settings(tmp_path, {"declining_days": 40})
    assert str(exc.value) == (
        "the activity thresholds must not decrease, but active_days (45) <= declining_days (40) <= churn_days (90)"
        f" does not hold; set by {tmp_path / 'estore.toml'}: [dbt.vars] active_days, --var declining_days"
    )
    (tmp_path / "estore.toml").write_text("[dbt.vars]\nchurn_days = 0\n")
    with pytest.raises(EstoreError) as exc:
        load_settings(tmp_path)
    assert f"{tmp_path / 'estore.toml'}: [dbt.vars] churn_days = 0 is not valid" in str(exc.value)


def test_good_dbt_vars_pass(tmp_path):
    (tmp_path / "estore.toml").write_text(
        "[dbt.vars]\nmigration_from_date = 2019-11-01\nsession_quality_event_bounds = [1, 10]\n"
        'rfm_segments = [{name = "Best", r = [4, 5], fm = [3.5, 5], action = "Thank them"},'
        ' {name = "Rest", r = [1, 5], fm = [1, 5]}]\n'
    )
    cli = dict(parse_var(v) for v in ["as_of_date=2019-11-30", "churn_observation_days=0"])
    cli["migration_to_date"] = None  # what dbt_project.yml declares: the latest snapshot
    settings = load_settings(tmp_path, cli)
    assert settings.dbt_vars["migration_from_date"] == "2019-11-01"
    assert settings.dbt_vars["rfm_segments"][0] == {"name": "Best", "r": [4, 5], "fm": [3.5, 5], "action": "Thank them"}
    assert settings.dbt_vars["churn_observation_days"] == 0
