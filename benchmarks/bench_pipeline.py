"""Time the whole pipeline at several sizes: generate, load, build; then adding one month.

Each step runs as the real `estore` command in its own process, so its peak RSS is its own
(os.wait4). Example (the figures in benchmarks/README.md):

    .venv/bin/python benchmarks/bench_pipeline.py --events 10000000 50000000 --months 5

For every size it prints seconds, rows/s and peak RSS per step, and the ratio of each step's
time to the smallest size's (linear growth means the ratio tracks the event ratio). Then, on
the largest warehouse, it generates one more month of the same daily volume, and times
loading and building just that month against the full build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ESTORE = [sys.executable, "-m", "estore"]


def timed(args: list[str]) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB) of that process alone."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def run_size(root: Path, events: int, months: int, memory_limit: str) -> dict:
    ws, landing = root / f"ws-{events}", root / f"landing-{events}"
    env_args = ["--workspace", str(ws)]
    (ws).mkdir(parents=True, exist_ok=True)
    (ws / "estore.toml").write_text(f'[duckdb]\nmemory_limit = "{memory_limit}"\n')
    gen = timed([*ESTORE, *env_args, "generate", "--out", str(landing), "--events", str(events),
                 "--months", str(months), "--seed", "1"])  # fmt: skip
    load = timed([*ESTORE, *env_args, "load", str(landing)])
    build = timed([*ESTORE, *env_args, "build"])
    return {"events": events, "generate": gen, "load": load, "build": build, "ws": ws, "landing": landing}


def add_month(result: dict, months: int) -> dict:
    """One more month after the last, of the same daily volume, into the built warehouse."""
    ws, extra = result["ws"], result["landing"].parent / "extra-month"
    per_month = result["events"] // months
    gen = timed([*ESTORE, "generate", "--out", str(extra), "--events", str(per_month), "--months", "1",
                 "--start", next_month(months), "--seed", "2"])  # fmt: skip
    load = timed([*ESTORE, "--workspace", str(ws), "load", str(extra)])
    build = timed([*ESTORE, "--workspace", str(ws), "build"])
    return {"events": per_month, "generate": gen, "load": load, "build": build}


def next_month(months: int, start: tuple[int, int] = (2019, 10)) -> str:
    index = start[0] * 12 + start[1] - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000, 50_000_000])
    parser.add_argument("--months", type=int, default=5)
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit for load and build")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the workspaces")
    args = parser.parse_args()

    root = Path(args.workdir or tempfile.mkdtemp(prefix="estore-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for events in sorted(args.events):
            r = run_size(root, events, args.months, args.memory_limit)
            results.append(r)
            base = results[0]
            print(f"\n{events:,} events over {args.months} months (memory_limit {args.memory_limit})")
            for step in ("generate", "load", "build"):
                seconds, rss = r[step]
                ratio = seconds / base[step][0]
                print(f"  {step:<9} {seconds:7.1f} s  {events / seconds:12,.0f} events/s  peak {rss:7,.0f} MB"
                      f"  time x{ratio:.2f} for events x{events / base['events']:.2f}")  # fmt: skip
            shutil.rmtree(r["landing"], ignore_errors=True)
        month = add_month(results[-1], args.months)
        full = results[-1]["build"][0]
        print(f"\nadding one month ({month['events']:,} events) to the {results[-1]['events']:,}-event warehouse")
        for step in ("load", "build"):
            seconds, rss = month[step]
            print(f"  {step:<9} {seconds:7.1f} s  peak {rss:7,.0f} MB")
        print(f"  incremental build / full build = {month['build'][0] / full:.2f} "
              f"(the month is {1 / (args.months + 1):.2f} of the data)")  # fmt: skip
        print(json.dumps({"sizes": [{k: v for k, v in r.items() if k not in ("ws", "landing")} for r in results],
                          "add_month": month}))  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
