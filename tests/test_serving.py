"""The serving snapshot: what is published equals the marts, the swap is all-or-nothing, and
readers never touch the warehouse the pipeline holds locked."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import pytest

from estore import serving
from estore.errors import EstoreError
from estore.settings import load_settings
from estore.warehouse import connect


@pytest.fixture
def settings(tmp_path):
    settings = load_settings(tmp_path)
    with connect(settings.warehouse) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_events as select timestamp '2019-10-01 00:00:00' + to_hours(i) as event_time "
            "from range(10) t(i)"
        )
        con.execute("create table marts.dim_users as select i as user_id, i * 1.5 as revenue from range(7) t(i)")
        con.execute("create view marts.not_a_table as select 1 as x")
    return settings


def served(settings, sql):
    with serving.open_serving(settings) as con:
        return con.execute(sql).fetchall()


def test_publish_copies_the_marts_tables_and_when_they_were_built(settings):
    started = datetime.now(UTC).replace(tzinfo=None)
    published = serving.publish(settings)
    finished = datetime.now(UTC).replace(tzinfo=None)
    assert published.tables == {"dim_users": 7}  # fct_events stays in the warehouse; views are not data
    assert served(settings, "select sum(revenue), count(*) from marts.dim_users") == [(31.5, 7)]
    built = served(settings, "select built_at, data_from, data_to, events, files_loaded from marts.serving_build")
    assert built[0][1:] == (datetime(2019, 10, 1, 0), datetime(2019, 10, 1, 9), 10, 0)
    assert built[0][0] == published.built_at and started <= published.built_at <= finished  # UTC, as stored


def test_an_interrupted_publish_keeps_the_previous_snapshot(settings, monkeypatch):
    serving.publish(settings)
    with connect(settings.warehouse) as con:
        con.execute("insert into marts.dim_users values (100, 1000)")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(serving.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        serving.publish(settings)
    assert served(settings, "select count(*) from marts.dim_users") == [(7,)]
    assert sorted(p.name for p in settings.workspace.iterdir()) == ["serving.duckdb", "warehouse.duckdb"]

    monkeypatch.undo()
    serving.publish(settings)
    assert served(settings, "select count(*) from marts.dim_users") == [(8,)]


def test_readers_are_served_while_another_process_holds_the_warehouse(settings):
    serving.publish(settings)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(settings.warehouse)!r}); "
         "print('locked', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(settings.warehouse), read_only=True)
        assert served(settings, "select count(*) from marts.dim_users") == [(7,)]
    finally:
        holder.communicate("")


def test_nothing_published_yet_says_what_to_run(tmp_path):
    with pytest.raises(EstoreError, match="estore run"):
        with serving.open_serving(load_settings(tmp_path)):
            pass


def test_a_warehouse_without_marts_is_not_published(tmp_path):
    settings = load_settings(tmp_path)
    connect(settings.warehouse).close()
    with pytest.raises(EstoreError, match="estore build"):
        serving.publish(settings)
    assert not settings.serving.exists()
