"""Time `estore.transform.build()` on synthetic events: full builds and adding one month.

The requirement is that adding one month to a warehouse that already holds several costs about
the time of that month, not of all of them. With k = months - 1 it times (medians of --repeat):
  (a) a full build of a fresh warehouse holding only one month (the last month alone),
  (b) adding that month to a warehouse whose k earlier months are built (an incremental build),
  (c) a full build of all k + 1 months,
and prints (b)/(a) (about 1 is the goal) and (b)/(c). Each build also reports its CPU time
(user + system of the build process), which another process competing for the cores does not
inflate the way it inflates wall time.

Fills raw.events of a fresh warehouse with DuckDB SQL (seeded, REES46-like proportions: ~95% views,
~3% carts, ~2% purchases, 32% empty category codes, one code per category_id, 14% empty brands,
2% of session ids reused after a long gap, 0.5% exact duplicates, 0.1% rows without a session),
one load per month.

    python benchmarks/bench_build.py --events 10000000 --months 4 --repeat 3

Each build runs in a subprocess so its peak RSS can be measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from estore.warehouse import connect

_BUILD = """
import json, sys
from pathlib import Path
from estore.transform import build
r = build(Path(sys.argv[1]), Path(sys.argv[2]), full_refresh=sys.argv[3] == "1", memory_limit=sys.argv[4])
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": r.seconds, "nodes": len(r.nodes),
                  "peak_rss_mb": usage.ru_maxrss / 1024,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "slowest": sorted(((n.seconds, n.name) for n in r.nodes), reverse=True)[:8]}))
"""


def fill(
    warehouse: Path,
    events: int,
    months: int,
    first_month: int = 0,
    last_month: int | None = None,
    seed: int = 42,
) -> None:
    """Append months [first_month, last_month) of a history of `events` events over `months` months."""
    per_month = events // months
    sessions = max(per_month // 5, 1)  # 5 events per session id
    users = max(events // 14, 1)
    con = connect(warehouse)
    try:
        for month in range(first_month, months if last_month is None else last_month):
            load_id = month + 1
            con.execute(
                f"""
                insert into raw.events
                with numbered as (
                    select
                        i,
                        {month} * {sessions} + i // 5 as session_no,
                        i % 5 as position
                    from range({per_month}) as r(i)
                ),
                sessions as (
                    select
                        *,
                        -- 2% of session ids are reused by the same user after a long gap
                        case when session_no % 50 = 1 then session_no - 1 else session_no end as session_id,
                        timestamp '2019-10-01' + to_months({month})
                            + to_seconds(hash(session_no, {seed}) % (27 * 86400)) as session_start
                    from numbered
                ),
                shaped as (
                    select
                        session_start + to_seconds(position * (30 + hash(i, {month}, {seed}) % 300))
                            as event_time,
                        case
                            when hash(i, 1, {month}, {seed}) % 1000 < 20 then 'purchase'
                            when hash(i, 1, {month}, {seed}) % 1000 < 50 then 'cart'
                            else 'view'
                        end as event_type,
                        hash(i, 2, {month}, {seed}) % 50000 as product_id,
                        session_id,
                        hash(session_id, 3, {seed}) % {users} as user_no,
                        i
                    from sessions
                )
                select
                    event_time,
                    event_type,
                    product_id,
                    2053013552226107603 + product_id % 600 as category_id,
                    -- one code per category_id, as in REES46 (a category whose code changes moves
                    -- all its events, and the build recomputes every month holding them)
                    case when product_id % 600 < 192 then null
                         else 'cat' || (product_id % 600 % 40) || '.sub' || (product_id % 600 % 7) end as category_code,
                    case when product_id % 100 < 14 then null else 'brand' || (product_id % 3000) end as brand,
                    cast(product_id % 2600 + 0.99 as decimal(12, 2)) as price,
                    512000000 + user_no as user_id,
                    case when i % 1000 = 7 then null else md5(cast(session_id as varchar)) end as user_session,
                    {load_id} as load_id
                from shaped
                """
            )
            # 0.5% exact duplicates
            con.execute(
                f"""
                insert into raw.events
                select * from raw.events where load_id = {load_id} using sample 0.5 percent (bernoulli, {seed})
                """
            )
            con.execute(
                "insert into raw.load_ledger values (?, ?, ?, 0, 'synthetic', ?, 0, now(), 0, 'loaded')",
                [load_id, f"synthetic/{month}.csv", f"{month}.csv", per_month],
            )
    finally:
        con.close()


def run_build(warehouse: Path, workspace: Path, *, full_refresh: bool, memory_limit: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _BUILD,
            str(warehouse),
            str(workspace),
            "1" if full_refresh else "0",
            memory_limit,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info.update(process_seconds=wall)  # peak_rss_mb: the build process's own maximum resident set
    return info


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def summarize(label: str, runs: list[dict]) -> None:
    print(
        f"{label}: median {median_of(runs, 'seconds'):.1f} s (build()), "
        f"process {median_of(runs, 'process_seconds'):.1f} s, CPU {median_of(runs, 'cpu_seconds'):.1f} s, "
        f"peak RSS {max(r['peak_rss_mb'] for r in runs):,.0f} MB, {runs[0]['nodes']} nodes"
    )
    print("  slowest nodes:", ", ".join(f"{name} {s:.1f}s" for s, name in runs[0]["slowest"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=4, help="months of history (one load each)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit for the builds")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.months < 2:
        parser.error("--months must be at least 2 (k built months plus one added)")
    k = args.months - 1

    def builds(wh: Path, ws: Path, *, full_refresh: bool, pristine: Path | None = None) -> list[dict]:
        runs = []
        for _ in range(args.repeat):
            if pristine is not None:  # every incremental run starts from the same k built months
                shutil.copyfile(pristine, wh)
            runs.append(run_build(wh, ws, full_refresh=full_refresh, memory_limit=args.memory_limit))
        return runs

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)

        # (c) a full build of all k + 1 months
        all_ws = root / "all"
        all_wh = all_ws / "warehouse.duckdb"
        t = time.perf_counter()
        fill(all_wh, args.events, args.months)
        print(f"filled {args.events:,} events over {args.months} months in {time.perf_counter() - t:.1f} s")
        full = builds(all_wh, all_ws, full_refresh=True)
        summarize(f"(c) full build, all {args.months} months", full)

        # (a) a full build of a fresh warehouse holding only the added month
        one_ws = root / "one"
        one_wh = one_ws / "warehouse.duckdb"
        fill(one_wh, args.events, args.months, first_month=k)
        one = builds(one_wh, one_ws, full_refresh=True)
        summarize(f"(a) full build, month {k + 1} alone", one)

        # (b) months 1..k built, then month k + 1 loaded and built incrementally
        inc_ws = root / "incremental"
        inc_wh = inc_ws / "warehouse.duckdb"
        fill(inc_wh, args.events, args.months, last_month=k)
        run_build(inc_wh, inc_ws, full_refresh=True, memory_limit=args.memory_limit)
        fill(inc_wh, args.events, args.months, first_month=k)
        pristine = root / "k_months_built.duckdb"
        shutil.copyfile(inc_wh, pristine)
        inc = builds(inc_wh, inc_ws, full_refresh=False, pristine=pristine)
        summarize(f"(b) incremental, month {k + 1} added to {k} built months", inc)

        a, b, c = (median_of(runs, "seconds") for runs in (one, inc, full))
        a_cpu, b_cpu, c_cpu = (median_of(runs, "cpu_seconds") for runs in (one, inc, full))
        print(f"ratios: (b)/(a) {b / a:.2f} (CPU {b_cpu / a_cpu:.2f}), (b)/(c) {b / c:.2f} (CPU {b_cpu / c_cpu:.2f})")


if __name__ == "__main__":
    main()
