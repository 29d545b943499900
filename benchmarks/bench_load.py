"""Benchmark the loader against a bare DuckDB COPY of the same file.

    .venv/bin/python benchmarks/bench_load.py                  # 10M events, CSV and .csv.gz
    .venv/bin/python benchmarks/bench_load.py --input ~/rees46/2019-Oct.csv --repeats 1

Without --input it writes a 10M-event CSV and .csv.gz into benchmarks/.work/ (with
estore.generate when available, otherwise a DuckDB-SQL synthetic file of the REES46 shape)
and reuses them on later runs. Each repeat: a bare `COPY raw_events FROM file (HEADER)`
into a fresh database, then estore.ingest.load into a fresh warehouse. Prints rows/s, MB/s
and the estore/COPY time ratio per run and the medians.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import xxhash

from estore.ingest import load
from estore.ingest.ledger import hash_file

WORK = Path(__file__).resolve().parent / ".work"
BARE_DDL = """
create table raw_events (
    event_time timestamp not null, event_type varchar not null, product_id bigint not null,
    category_id bigint not null, category_code varchar, brand varchar, price decimal(12, 2) not null,
    user_id bigint not null, user_session varchar
)
"""


def synthetic_csv(path: Path, events: int, seed: int) -> None:
    """A REES46-shaped CSV (~135 bytes a row) written by DuckDB: the fallback input."""
    con = duckdb.connect()
    con.execute(f"select setseed({(seed % 1000) / 1000})")
    con.execute(f"""
        copy (
            select strftime(timestamp '2019-10-01' + to_seconds(i * 2592000 // {events}), '%Y-%m-%d %H:%M:%S')
                       || ' UTC' as event_time,
                   case when hash(i) % 100 < 96 then 'view' when hash(i) % 100 < 98 then 'cart'
                        else 'purchase' end as event_type,
                   1000000 + hash(i * 7) % 170000 as product_id,
                   2053013555631882655 + hash(i * 11) % 600 as category_id,
                   case when hash(i * 13) % 3 = 0 then null else 'electronics.smartphone' end
                       as category_code,
                   case when hash(i * 17) % 7 = 0 then null else 'brand' || (hash(i * 17) % 3400) end
                       as brand,
                   round((hash(i * 19) % 260000) / 100.0, 2)::decimal(12, 2) as price,
                   510000000 + hash(i * 23) % 70000000 as user_id,
                   uuid()::varchar as user_session
            from range({events}) t(i)
        ) to '{path}' (header)
    """)


def make_inputs(events: int, seed: int) -> list[Path]:
    """The default inputs: <events> events as .csv and .csv.gz under benchmarks/.work/."""
    WORK.mkdir(parents=True, exist_ok=True)
    csv = WORK / f"events-{events}-{seed}.csv"
    gz = csv.with_name(csv.name + ".gz")
    if not csv.exists():
        try:
            from estore.generate import GenerationConfig, generate
        except ImportError:
            generate = None
        if generate is not None:
            out = WORK / f"gen-{events}-{seed}"
            print(f"generating {events:,} events with estore.generate into {out} ...", flush=True)
            manifest = generate(out, GenerationConfig(events=events, months=1, seed=seed))
            produced = out / manifest["files"][0]["name"]
            shutil.move(produced, csv)
            shutil.rmtree(out, ignore_errors=True)
        else:
            print(f"writing a {events:,}-event synthetic CSV with DuckDB ...", flush=True)
            synthetic_csv(csv, events, seed)
    if not gz.exists():
        print(f"compressing {csv.name} (gzip -6) ...", flush=True)
        if shutil.which("gzip"):
            with open(gz, "wb") as out_fh:
                subprocess.run(["gzip", "-6", "-c", str(csv)], stdout=out_fh, check=True)
        else:
            with open(csv, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 16 << 20)
    return [csv, gz]


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (steadier than wall time on a busy box)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_copy(path: Path, db: Path, threads: int | None) -> tuple[float, float, int, str]:
    con = duckdb.connect(str(db), config={"threads": threads} if threads else {})
    con.execute(BARE_DDL)
    options = "header"
    start, cpu = time.perf_counter(), cpu_seconds()
    try:
        con.execute(f"copy raw_events from '{path}' ({options})")
    except duckdb.Error:  # a file with malformed lines: the bare COPY has to skip them
        con.execute("delete from raw_events")
        options = "header, ignore_errors true"
        start, cpu = time.perf_counter(), cpu_seconds()
        con.execute(f"copy raw_events from '{path}' ({options})")
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    rows = con.execute("select count(*) from raw_events").fetchone()[0]
    con.close()
    return seconds, cpu, rows, options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", action="append", type=Path, help="file to load (repeatable)")
    parser.add_argument("--events", type=int, default=10_000_000, help="events to generate without --input")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    args = parser.parse_args(argv)
    inputs = [p.expanduser().resolve() for p in args.input] if args.input else make_inputs(args.events, args.seed)

    for path in inputs:
        size = path.stat().st_size
        start = time.perf_counter()
        hash_file(path)
        hash_s = time.perf_counter() - start
        print(
            f"\n== {path.name}: {size / 1e6:,.0f} MB; xxh3-128 hash {size / 1e9 / hash_s:.1f} GB/s "
            f"(xxhash {xxhash.VERSION})"
        )
        ratios, cpu_ratios, copy_rates, load_rates = [], [], [], []
        for run in range(1, args.repeats + 1):
            with tempfile.TemporaryDirectory(dir=WORK if WORK.exists() else None) as tmp:
                copy_s, copy_cpu, copy_rows, options = bare_copy(path, Path(tmp) / "bare.duckdb", args.threads)
                start, cpu = time.perf_counter(), cpu_seconds()
                [result] = load([str(path)], Path(tmp) / "warehouse.duckdb", threads=args.threads)
                load_s, load_cpu = time.perf_counter() - start, cpu_seconds() - cpu
            rows = result.rows_loaded
            ratio = load_s / copy_s
            ratios.append(ratio)
            cpu_ratios.append(load_cpu / copy_cpu)
            copy_rates.append(copy_rows / copy_s)
            load_rates.append(rows / load_s)
            print(
                f"run {run}: COPY ({options}) {copy_rows:,} rows {copy_s:.2f} s = "
                f"{copy_rows / copy_s / 1e6:.2f}M rows/s "
                f"{size / 1e6 / copy_s:,.0f} MB/s | estore {result.status} {rows:,} rows "
                f"(+{result.rows_quarantined:,} quarantined) {load_s:.2f} s = "
                f"{rows / load_s / 1e6:.2f}M rows/s "
                f"{size / 1e6 / load_s:,.0f} MB/s | estore/COPY wall {ratio:.3f}, "
                f"CPU {load_cpu:.1f}/{copy_cpu:.1f} s = {load_cpu / copy_cpu:.3f}",
                flush=True,
            )
        ratio = statistics.median(ratios)
        print(
            f"median: COPY {statistics.median(copy_rates) / 1e6:.2f}M rows/s | estore "
            f"{statistics.median(load_rates) / 1e6:.2f}M rows/s | estore/COPY {ratio:.3f} "
            f"(overhead {100 * (ratio - 1):+.1f}%), CPU {statistics.median(cpu_ratios):.3f} "
            f"(best wall: COPY {max(copy_rates) / 1e6:.2f}M rows/s, "
            f"estore {max(load_rates) / 1e6:.2f}M rows/s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
