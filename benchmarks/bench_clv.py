"""Benchmark the customer-value step on a realistic 3M-customer summary (and lifetimes once).

Builds a day-based summary like marts.clv_customer_summary by simulating BG/NBD purchasing and
Gamma-Gamma spend (CDNOW-like parameters, spend scaled to ~300 per order, first purchases
spread over a 7-month calibration), then times in fresh subprocesses, measuring peak RSS:

  ours       fit both models + every dim_user_clv column, from numpy arrays   (--repeats times)
  warehouse  run_clv end to end on a DuckDB file (read, fit, predict, write)       (--repeats times)
  lifetimes  BetaGeoFitter + GammaGammaFitter fit and the same predictions       (once)

Example: .venv/bin/python benchmarks/bench_clv.py --customers 3000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

# BG/NBD in weeks (CDNOW, Fader-Hardie-Lee 2005) and Gamma-Gamma with gamma scaled for ~300/order
TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 130.0}
CALIBRATION_DAYS = 212  # 2019-10-01 .. 2020-04-30


def simulate_summary(n: int, seed: int) -> dict[str, np.ndarray]:
    """Vectorised BG/NBD + Gamma-Gamma draw in whole days.

    With N(T) ~ Poisson(lambda T) purchase opportunities and drop-out at the K-th repeat purchase
    (K ~ Geometric(p)), x = min(N, K); given N, the x-th purchase time is T * Beta(x, N - x + 1).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / (TRUE["alpha"] * 7), n)  # per day
    drop = rng.beta(TRUE["a"], TRUE["b"], n)
    T = rng.integers(0, CALIBRATION_DAYS + 1, n).astype(float)
    opportunities = rng.poisson(lam * T)
    x = np.minimum(opportunities, rng.geometric(drop))
    repeat = x > 0
    t_x = np.zeros(n)
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], opportunities[repeat] - x[repeat] + 1)
    recency = np.where(repeat, np.minimum(np.maximum(np.ceil(t_x), 1.0), T), 0.0)
    nu = rng.gamma(TRUE["q"], 1 / TRUE["gamma"], n)
    monetary = np.zeros(n)
    monetary[repeat] = rng.gamma(TRUE["p"] * x[repeat], 1 / (nu[repeat] * x[repeat]))
    return {
        "user_id": np.arange(n, dtype=np.int64) + 512_000_000,
        "frequency": x.astype(np.int32),
        "recency": recency,
        "t": T,
        "monetary_value": np.round(monetary, 2),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def worker_ours(data: dict[str, np.ndarray], workdir: Path) -> dict:
    from estore.clv.value import score_customers
    from estore.clv.warehouse import fit_models

    x, rec, t, m = (data[k].astype(float) for k in ("frequency", "recency", "t", "monetary_value"))
    started = time.perf_counter()
    bgnbd, gg = fit_models(x, rec, t, m)
    fitted = time.perf_counter()
    scores = score_customers(bgnbd.params, gg.params, x, rec, t, m)
    done = time.perf_counter()
    assert all(np.isfinite(getattr(scores, f)).all() for f in scores.__dataclass_fields__)
    return {
        "fit_s": fitted - started,
        "predict_s": done - fitted,
        "total_s": done - started,
        "distinct_histories": bgnbd.distinct_rows,
        "params": {**vars(bgnbd.params), **vars(gg.params)},
        "total_clv": float(scores.clv.sum()),
    }


def worker_warehouse(data: dict[str, np.ndarray], workdir: Path) -> dict:
    import duckdb
    import pyarrow as pa

    from estore.clv import run_clv

    path = workdir / "warehouse.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.register("summary_arrow", pa.table(data))
    con.execute(
        "create table marts.clv_customer_summary as select user_id, frequency, recency, t, "
        "case when frequency > 0 then monetary_value end as monetary_value from summary_arrow"
    )
    con.unregister("summary_arrow")
    con.execute("checkpoint")
    data.clear()  # run_clv reads the table itself
    started = time.perf_counter()
    run = run_clv(con)
    total = time.perf_counter() - started
    return {
        "total_s": total,
        "fit_s": run.fit_seconds,
        "predict_s": run.predict_seconds,
        "write_s": run.write_seconds,
        "rows": con.execute("select count(*) from marts.dim_user_clv").fetchone()[0],
        "memory_limit": con.execute("select current_setting('memory_limit')").fetchone()[0],
    }


def worker_lifetimes(data: dict[str, np.ndarray], workdir: Path) -> dict:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    warnings.simplefilter("ignore")

    x = pd.Series(data["frequency"].astype(float))
    rec, T = pd.Series(data["recency"] / 7), pd.Series(data["t"] / 7)
    m = pd.Series(data["monetary_value"])
    started = time.perf_counter()
    bg = BetaGeoFitter().fit(x, rec, T)
    repeat = (x > 0) & (m > 0)
    gg = GammaGammaFitter().fit(x[repeat], m[repeat])
    fitted = time.perf_counter()
    bg.conditional_probability_alive(x, rec, T)
    for days in (30, 90, 365):
        bg.conditional_expected_number_of_purchases_up_to_time(days / 7, x, rec, T)
    gg.conditional_expected_average_profit(x, m)
    clv = gg.customer_lifetime_value(bg, x, rec, T, m, time=12, discount_rate=1.1 ** (1 / 12) - 1, freq="W")
    done = time.perf_counter()
    return {
        "fit_s": fitted - started,
        "predict_s": done - fitted,
        "total_s": done - started,
        "params": {**bg.params_.to_dict(), **gg.params_.to_dict()},
        "nan_clv": int(clv.isna().sum()),
    }


WORKERS = {"ours": worker_ours, "warehouse": worker_warehouse, "lifetimes": worker_lifetimes}


def run_worker(kind: str, data_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--data", str(data_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        with np.load(args.data) as npz:
            data = {k: npz[k] for k in npz.files}
        result = WORKERS[args.worker](data, args.data.parent)
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    started = time.perf_counter()
    data = simulate_summary(args.customers, args.seed)
    repeat_share = float(np.mean(data["frequency"] > 0))
    print(
        f"summary: {args.customers:,} customers, {repeat_share:.1%} repeat buyers, "
        f"max frequency {data['frequency'].max()}, simulated in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.npz"
        np.savez(path, **data)
        del data
        for kind in ("ours", "warehouse"):
            runs = [run_worker(kind, path) for _ in range(args.repeats)]
            median = {
                k: statistics.median(r[k] for r in runs) for k in ("total_s", "fit_s", "predict_s", "peak_rss_mb")
            }
            print(
                f"{kind:>9}: median of {args.repeats}: total {median['total_s']:.2f} s "
                f"(fit {median['fit_s']:.2f} s, predict {median['predict_s']:.2f} s), "
                f"peak RSS {median['peak_rss_mb']:.0f} MB; runs {[round(r['total_s'], 2) for r in runs]}"
            )
            if kind == "ours":
                print(
                    f"           distinct histories {runs[0]['distinct_histories']:,}; estimates "
                    + ", ".join(f"{k}={v:.4g}" for k, v in runs[0]["params"].items())
                    + "; true "
                    + ", ".join(f"{k}={v:g}" for k, v in TRUE.items())
                )
        if not args.skip_lifetimes:
            r = run_worker("lifetimes", path)
            print(
                f"lifetimes: total {r['total_s']:.2f} s "
                f"(fit {r['fit_s']:.2f} s, predict {r['predict_s']:.2f} s), "
                f"peak RSS {r['peak_rss_mb']:.0f} MB, NaN CLV {r['nan_clv']}; estimates "
                + ", ".join(f"{k}={v:.4g}" for k, v in r["params"].items())
            )


if __name__ == "__main__":
    main()
