"""Time `estore.transform.build()` on synthetic events: full builds and adding one month.

Fills raw.events of a fresh warehouse with DuckDB SQL (seeded, REES46-like proportions: ~95% views,
~3% carts, ~2% purchases, 32% empty category codes, 14% empty brands, 2% of session ids reused
after a long gap, 0.5% exact duplicates, 0.1% rows without a session), one load per month.

    python benchmarks/bench_build.py --events 10000000 --months 4 --repeat 3

Each build runs in a subprocess so its peak RSS can be measured.
"""

from __future__ import annotations

import argparse
import json
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
print(json.dumps({"seconds": r.seconds, "nodes": len(r.nodes),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "slowest": sorted(((n.seconds, n.name) for n in r.nodes), reverse=True)[:6]}))
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
                    case when product_id % 100 < 32 then null
                         else 'cat' || (product_id % 40) || '.sub' || (product_id % 7) end as category_code,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=4, help="months of history (one load each)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit for the builds")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)
        full_ws = root / "full"
        wh = full_ws / "warehouse.duckdb"
        t = time.perf_counter()
        fill(wh, args.events, args.months)
        print(f"filled {args.events:,} events over {args.months} months in {time.perf_counter() - t:.1f} s")

        runs = [run_build(wh, full_ws, full_refresh=True, memory_limit=args.memory_limit) for _ in range(args.repeat)]
        seconds = [r["seconds"] for r in runs]
        print(
            f"full build: median {statistics.median(seconds):.1f} s (build()), "
            f"process {statistics.median(r['process_seconds'] for r in runs):.1f} s, "
            f"peak RSS {max(r['peak_rss_mb'] for r in runs):,.0f} MB, {runs[0]['nodes']} nodes"
        )
        print("  slowest nodes:", ", ".join(f"{name} {s:.1f}s" for s, name in runs[0]["slowest"]))

        # incremental: months 1..k built, then month k+1 added
        inc_ws = root / "incremental"
        inc_wh = inc_ws / "warehouse.duckdb"
        k = args.months - 1
        fill(inc_wh, args.events, args.months, last_month=k)
        run_build(inc_wh, inc_ws, full_refresh=True, memory_limit=args.memory_limit)
        fill(inc_wh, args.events, args.months, first_month=k)
        inc = run_build(inc_wh, inc_ws, full_refresh=False, memory_limit=args.memory_limit)
        full = run_build(inc_wh, inc_ws, full_refresh=True, memory_limit=args.memory_limit)
        print(
            f"add month {k + 1} to {k} built months: incremental {inc['seconds']:.1f} s "
            f"vs full rebuild {full['seconds']:.1f} s"
        )
        print("  incremental slowest:", ", ".join(f"{name} {s:.1f}s" for s, name in inc["slowest"]))


if __name__ == "__main__":
    main()
