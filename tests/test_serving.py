"""The serving snapshot: what is published equals the marts, the swap is all-or-nothing, and
readers never touch the warehouse the pipeline holds locked."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

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


def test_a_publish_clears_the_mark_of_a_build_but_not_of_a_load_that_came_in_since(settings):
    serving.mark_unpublished(settings, "build")
    assert serving.unpublished_change(settings) == "build"
    serving.publish(settings)
    assert serving.unpublished_change(settings) is None
    # a load slipped in while the build ran: its rows are not built, so the mark stays after publish
    serving.mark_unpublished(settings, "build")
    serving.mark_unpublished(settings, "load")
    serving.publish(settings)
    assert serving.unpublished_change(settings) == "load"


def test_publish_skips_dbt_leftovers_and_removes_temporary_files_of_killed_publishes(settings):
    with connect(settings.warehouse) as con:  # what an interrupted dbt swap leaves
        con.execute("create table marts.dim_users__dbt_backup as from marts.dim_users")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = settings.serving.with_name(f".serving.duckdb.{dead.stdout.strip()}.tmp")
    killed.write_bytes(b"half a snapshot")
    Path(f"{killed}.wal").write_bytes(b"wal")
    running = settings.serving.with_name(".serving.duckdb.1.tmp")  # pid 1 is alive: another publish's
    running.write_bytes(b"in progress")
    published = serving.publish(settings)
    assert set(published.tables) == {"dim_users"}
    assert not killed.exists() and not Path(f"{killed}.wal").exists()
    assert running.exists()


def test_a_load_marks_the_warehouse_unpublished_only_when_it_loaded_something(tmp_path):
    from estore import pipeline

    settings = load_settings(tmp_path / "ws")
    events = tmp_path / "2019-Oct.csv"
    events.write_text(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
        "2019-10-01 00:00:00 UTC,view,1,2,electronics.smartphone,apple,10.00,3,s1\n"
    )
    [result] = pipeline.load(settings, [str(events)])
    assert result.status == "loaded" and serving.unpublished_change(settings) == "load"
    serving.mark_unpublished(settings, None)  # as a publish would
    [again] = pipeline.load(settings, [str(events)])
    assert again.status == "skipped" and serving.unpublished_change(settings) is None
    serving.mark_unpublished(settings, "validate-clv")
    pipeline.load(settings, [str(events)])
    assert serving.unpublished_change(settings) == "validate-clv"  # as it was
