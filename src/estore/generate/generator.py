"""generate(): stream a window of days to monthly REES46 files and write generation.json.

How it streams: the transaction days of all buyers (the CLV truth) and the user population are
drawn up front (a few arrays per user); events are then built day by day, and a day with more
than BLOCK_EVENTS events in blocks of whole hours. Each block's rows are merged with the rows
of earlier sessions that run past the block's end, sorted, and the rows before the block's end
are written, so every file is exactly ordered by event_time while memory stays bounded by one
block plus the per-user arrays (~40 bytes per user).

generation.json holds: seed and full config; files (name, rows = data lines incl. dirt, bytes);
counts over the clean rows (well-formed, duplicates removed): events, events_by_type, users,
buyers, sessions (distinct non-empty user_session), products, brands, categories, and lines;
behaviour (logical sessions, reused ids, funnel); clv_truth (BG/NBD r, alpha, a, b and
Gamma-Gamma p, q, gamma in weeks, customers and transaction days); dirt (exact counts of
duplicate_rows, products_with_two_brands, rows_without_session and malformed_lines by kind).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from estore.errors import EstoreError
from estore.generate.calendar import HOURLY, Window, exact_split, month_file_stem
from estore.generate.catalogue import Catalogue, add_second_brands, build_catalogue
from estore.generate.config import GenerationConfig, parse_start, validate
from estore.generate.customers import build_users, simulate_transactions
from estore.generate.dirt import MALFORMED_KINDS, malformed_line, pick_duplicates, plan_malformed
from estore.generate.sessions import (
    PURCHASE,
    PURCHASE_SESSION_EVENTS,
    BlockEvents,
    BlockPlan,
    build_block,
    purchase_sessions,
)
from estore.generate.writer import MonthFile, Rows, day_times, format_columns, join_lines, string_bytes

MANIFEST = "generation.json"
WRITE_SLICE = 500_000  # rows formatted at a time: bounds the memory of the text stage
BLOCK_EVENTS = 600_000  # a day with more events is built in blocks of hours: bounds memory at any scale
CARTS_PER_CARTING_SESSION = {11: 2.2}  # November (Black Friday) carts more; other months 1.1


class _Stats:
    """Counts over the clean rows, accumulated day by day."""

    def __init__(self, cat: Catalogue, n_users: int) -> None:
        self.cat = cat
        self.by_type = np.zeros(3, dtype=np.int64)
        self.user_seen = np.zeros(n_users, dtype=bool)
        self.buyer_seen = np.zeros(n_users, dtype=bool)
        self.product_seen = np.zeros(cat.n_products, dtype=bool)
        self.brand_seen = np.zeros(len(cat.brand_names), dtype=bool)
        self.primary_seen = np.zeros(cat.n_products, dtype=bool)
        self.second_seen = np.zeros(cat.n_products, dtype=bool)
        self.sessions = 0
        self.logical_sessions = 0
        self.reused_sessions = 0
        self.purchase_sessions = 0
        self.carting_sessions = 0
        self.carting_purchase_sessions = 0
        self.missing_rows = 0

    def add(self, ev: BlockEvents) -> None:
        cat = self.cat
        self.by_type += np.bincount(ev.etype, minlength=3)
        self.user_seen[ev.user] = True
        self.buyer_seen[ev.user[ev.etype == PURCHASE]] = True
        self.product_seen[ev.product] = True
        self.brand_seen[ev.brand] = True
        two = cat.alt_brand[ev.product] > 0
        self.primary_seen[ev.product[two & (ev.brand == cat.brand[ev.product])]] = True
        self.second_seen[ev.product[two & (ev.brand == cat.alt_brand[ev.product])]] = True
        self.sessions += len(np.unique(ev.uuid_owner[ev.session[~ev.missing]]))
        self.logical_sessions += ev.sessions
        self.reused_sessions += ev.reused
        self.purchase_sessions += ev.purchase_sessions
        n_s = len(ev.uuid_owner)
        carts = np.bincount(ev.session[ev.etype == 1], minlength=n_s) > 0
        buys = np.bincount(ev.session[ev.etype == PURCHASE], minlength=n_s) > 0
        self.carting_sessions += int(np.count_nonzero(carts))
        self.carting_purchase_sessions += int(np.count_nonzero(carts & buys))
        self.missing_rows += int(np.count_nonzero(ev.missing))


def generate(
    out_dir: Path,
    config: GenerationConfig,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write one REES46-format CSV per month of the window into out_dir plus generation.json.

    Same config (seed included) → identical bytes. Memory is bounded by one day of events.
    """
    validate(config)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EstoreError(f"--out {out_dir}: cannot create the folder ({exc.strerror})") from exc
    (out_dir / MANIFEST).unlink(missing_ok=True)  # until the new one is written, the folder is incomplete
    window = Window(parse_start(config.start), config.months)
    days = window.days
    weights = window.day_weights()
    seeds = np.random.SeedSequence(config.seed).spawn(4 + len(days))
    cat_rng, cust_rng, user_rng, dirt_rng = (np.random.default_rng(s) for s in seeds[:4])
    n = config.events

    cat = build_catalogue(cat_rng, n)
    add_second_brands(cat_rng, cat, config.multi_brand_product_rate)
    logical_sessions = n / (config.events_per_session * (1 - config.session_reuse_rate))
    target_purchase_sessions = max(1, int(round(config.purchase_session_share * logical_sessions)))
    tx = simulate_transactions(cust_rng, target_purchase_sessions, weights, config)
    n_purchase_sessions = len(tx.day)
    users = build_users(user_rng, len(tx.birth), config.buyer_share, weights)
    browse_mean = (n - n_purchase_sessions * PURCHASE_SESSION_EVENTS) / max(logical_sessions - n_purchase_sessions, 1.0)
    browse_mean = float(np.clip(browse_mean, 1.2, 50.0))
    cum_budget = np.cumsum(exact_split(n, weights))
    tx_bounds = np.searchsorted(tx.day, np.arange(len(days) + 1), side="left")
    mal_pos, mal_kind = plan_malformed(dirt_rng, n, config.malformed_rate)

    stats = _Stats(cat, len(users.user_id))
    files: list[dict[str, Any]] = []
    duplicates = 0
    malformed = np.zeros(len(MALFORMED_KINDS), dtype=np.int64)
    generated = 0
    emitted = 0
    carry: Rows | None = None
    current: MonthFile | None = None
    suffix = ".csv.gz" if config.gzip else ".csv"
    window_end = window.epoch(window.end)
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            for d, day in enumerate(days):
                if current is None or day.day == 1:
                    if current is not None:
                        files.append(_close(current))
                    current = MonthFile(out_dir / f"{month_file_stem(day)}{suffix}", config.gzip, pool)
                rng = np.random.default_rng(seeds[4 + d])
                day_start = window.epoch(day)
                lo, hi = tx_bounds[d], tx_bounds[d + 1]
                day_purchases = purchase_sessions(rng, cat, users.customer_user[tx.customer[lo:hi]], tx.value[lo:hi])
                first_visits = users.first_visit_users[users.first_visit_start[d] : users.first_visit_start[d + 1]]
                day_from = int(cum_budget[d - 1]) if d else 0
                day_budget = int(cum_budget[d]) - day_from
                edges = _block_hours(day_budget)
                mass = np.array([HOURLY[h0:h1].sum() for h0, h1 in edges])
                cum_mass = np.cumsum(mass) / mass.sum()
                visit_block = np.searchsorted(cum_mass, rng.random(len(first_visits)), side="right")
                hour_block = np.repeat(np.arange(len(edges)), [h1 - h0 for h0, h1 in edges])
                purchase_block = hour_block[day_purchases.start_tod // 3600]
                for j, hours in enumerate(edges):
                    plan = BlockPlan(
                        day_start=day_start,
                        hours=hours,
                        window_end=window_end,
                        budget=day_from + int(round(day_budget * cum_mass[j])) - generated,
                        purchases=day_purchases.select(purchase_block == j),
                        first_visit_users=first_visits[visit_block.clip(0, len(edges) - 1) == j],
                        browse_mean_length=browse_mean,
                        carts_per_carting_session=CARTS_PER_CARTING_SESSION.get(day.month, 1.1),
                        reuse_rate=config.session_reuse_rate,
                        missing_session_rate=config.missing_session_rate,
                    )
                    ev = build_block(rng, plan, cat, users.activity_cdf)
                    generated += len(ev.time)
                    stats.add(ev)
                    rows = Rows(ev.time, ev.etype, ev.product, ev.brand, ev.user, ev.uuid[ev.session], ev.missing)
                    del ev
                    if carry is not None and len(carry):
                        rows = Rows.concat([carry, rows])
                    rows = rows.take(np.argsort(rows.time, kind="stable"))
                    cut = int(np.searchsorted(rows.time, plan.block_end, side="left"))
                    emit, carry = rows.take(slice(0, cut)), rows.take(slice(cut, None))
                    del rows
                    if j == 0:
                        times = day_times(day.isoformat())
                    dups = pick_duplicates(rng, len(emit), config.duplicate_rate)
                    duplicates += len(dups)
                    m_lo, m_hi = np.searchsorted(mal_pos, [emitted, emitted + len(emit)])
                    for kind in mal_kind[m_lo:m_hi]:
                        malformed[kind] += 1
                    _write_rows(
                        current, emit, day_start, times, cat, users.user_id, dups,
                        mal_pos[m_lo:m_hi] - emitted, mal_kind[m_lo:m_hi], rng,
                    )  # fmt: skip
                    emitted += len(emit)
                    if progress is not None:
                        progress(emitted, n)
            if carry is not None and len(carry):  # cannot happen: sessions end inside the window
                raise RuntimeError(f"{len(carry)} events fell after the window end")
            if current is not None:
                files.append(_close(current))
                current = None
        finally:
            if current is not None:  # interrupted: drop the unfinished file
                current.abandon()

    n_users = int(stats.user_seen.sum())
    n_buyers = int(stats.buyer_seen.sum())
    multi_brand = int(np.count_nonzero(stats.primary_seen & stats.second_seen))
    by_type = {name: int(v) for name, v in zip(("view", "cart", "purchase"), stats.by_type, strict=True)}
    manifest: dict[str, Any] = {
        "generator": "estore.generate",
        "seed": config.seed,
        "config": config.to_dict(),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "days": len(days)},
        "files": files,
        "counts": {
            "events": int(stats.by_type.sum()),
            "events_by_type": by_type,
            "lines": int(sum(f["rows"] for f in files)),
            "users": n_users,
            "buyers": n_buyers,
            "sessions": int(stats.sessions),
            "products": int(stats.product_seen.sum()),
            "brands": int(stats.brand_seen[1:].sum()),
            "categories": int(len(np.unique(cat.category[stats.product_seen]))),
        },
        "behaviour": {
            "logical_sessions": int(stats.logical_sessions),
            "reused_session_ids": int(stats.reused_sessions),
            "purchase_sessions": int(stats.purchase_sessions),
            "carting_sessions": int(stats.carting_sessions),
            "carting_sessions_that_buy": int(stats.carting_purchase_sessions),
            "session_conversion": round(stats.purchase_sessions / max(stats.sessions, 1), 4),
            "buyer_share": round(n_buyers / max(n_users, 1), 4),
            "events_per_session": round(int(stats.by_type.sum()) / max(stats.sessions, 1), 3),
        },
        "clv_truth": {
            "time_unit": "week",
            "transaction": "a calendar day (UTC) with at least one purchase",
            "bgnbd": {
                "r": config.bgnbd_r,
                "alpha": config.bgnbd_alpha,
                "a": config.bgnbd_a,
                "b": config.bgnbd_b,
            },
            "gamma_gamma": {"p": config.gg_p, "q": config.gg_q, "gamma": config.gg_gamma},
            "customers": len(tx.birth),
            "transactions_simulated": tx.simulated,
            "transaction_days": n_purchase_sessions,
            "repeats_moved_to_next_free_day": tx.moved,
            "repeats_dropped_past_window": tx.dropped,
            "births": "first purchase at birth; birth days drawn in proportion to daily traffic",
        },
        "dirt": {
            "duplicate_rows": int(duplicates),
            "products_with_two_brands": multi_brand,
            "rows_without_session": int(stats.missing_rows),
            "malformed_lines": {k: int(v) for k, v in zip(MALFORMED_KINDS, malformed, strict=True)},
        },
    }
    partial = out_dir / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2) + "\n")
    partial.replace(out_dir / MANIFEST)  # written last: its presence means the files are complete
    return manifest


def _close(f: MonthFile) -> dict[str, Any]:
    size = f.close()
    return {"name": f.path.name, "rows": f.rows, "bytes": size}


def _block_hours(day_events: int) -> list[tuple[int, int]]:
    """Split a day into blocks of whole hours with about equal traffic, each about BLOCK_EVENTS."""
    k = int(np.clip(np.ceil(day_events / BLOCK_EVENTS), 1, 12))
    cum = np.cumsum(HOURLY)
    cuts = sorted({int(np.searchsorted(cum, i / k)) + 1 for i in range(1, k)} - {0, 24})
    bounds = [0, *cuts, 24]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _write_rows(
    out: MonthFile,
    emit: Rows,
    day_start: int,
    times: pa.Array,
    cat: Catalogue,
    user_id: np.ndarray,
    dups: np.ndarray,
    mal_pos: np.ndarray,
    mal_kind: np.ndarray,
    rng: np.random.Generator,
) -> None:
    for a in range(0, len(emit), WRITE_SLICE):
        b = min(a + WRITE_SLICE, len(emit))
        columns = format_columns(emit.take(slice(a, b)), day_start, times, cat, user_id)
        lines = join_lines(columns)
        counts = np.ones(b - a, dtype=np.int64)
        d = dups[(dups >= a) & (dups < b)] - a
        counts[d] = 2
        if len(d):
            lines = lines.take(pa.array(np.repeat(np.arange(b - a), counts)))
        sel = (mal_pos >= a) & (mal_pos < b)
        if sel.any():
            after = np.cumsum(counts)
            pieces, prev = [], 0
            for p, kind in zip(mal_pos[sel] - a, mal_kind[sel], strict=True):
                fields = [str(col[int(p)].as_py()) for col in columns]
                fields[-1] = fields[-1].rstrip("\n")
                ins = int(after[p])
                pieces.append(lines.slice(prev, ins - prev))
                pieces.append(pa.array([malformed_line(rng, fields, int(kind))], pa.string()))
                prev = ins
            pieces.append(lines.slice(prev))
            lines = pa.concat_arrays(pieces)
        out.write(string_bytes(lines), len(lines))
