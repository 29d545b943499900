"""Time `estore.generate` at a fixed seed: seconds, events/s and peak RSS per run, then the median.

Each run generates into a fresh temporary folder in its own process, so the peak RSS is that
process's alone (os.wait4). Example:

    .venv/bin/python benchmarks/bench_generate.py --events 10000000 --repeat 3 [--gzip]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys
from pathlib import Path
from estore.generate import GenerationConfig, generate
m = generate(Path(sys.argv[1]), GenerationConfig(events=int(sys.argv[2]), seed=int(sys.argv[3]),
             months=int(sys.argv[4]), gzip=sys.argv[5] == "1"))
print(sum(f["bytes"] for f in m["files"]))
"""


def run_once(events: int, seed: int, months: int, gzip: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        args = [sys.executable, "-c", CHILD, tmp, str(events), str(seed), str(months), "1" if gzip else "0"]
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out = proc.stdout.read().decode().strip() if proc.stdout else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"generation failed with exit code {proc.returncode}")
    # ru_maxrss is in kilobytes on Linux
    return {"seconds": seconds, "events_per_s": events / seconds, "peak_rss_mb": usage.ru_maxrss / 1024,
            "bytes": int(out or 0)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--months", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--json", action="store_true", help="Also print the results as one JSON line.")
    a = parser.parse_args()
    runs = []
    for i in range(a.repeat):
        r = run_once(a.events, a.seed, a.months, a.gzip)
        runs.append(r)
        print(
            f"run {i + 1}: {r['seconds']:.2f} s, {r['events_per_s']:,.0f} events/s, "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB, {r['bytes'] / 1e6:,.0f} MB written",
            flush=True,
        )
    med = {k: statistics.median(r[k] for r in runs) for k in ("seconds", "events_per_s", "peak_rss_mb")}
    fmt = "csv.gz" if a.gzip else "csv"
    print(
        f"median of {a.repeat} ({a.events:,} events, {a.months} months, {fmt}): {med['seconds']:.2f} s, "
        f"{med['events_per_s']:,.0f} events/s, peak RSS {med['peak_rss_mb']:,.0f} MB"
    )
    if a.json:
        print(json.dumps({"stage": "generate", "events": a.events, "format": fmt, "runs": runs, "median": med}))


if __name__ == "__main__":
    main()
