"""Users and the buyers' known CLV truth: BG/NBD repeat purchasing and Gamma-Gamma spend.

Time is measured in days inside the window and converted to weeks for the model parameters.
Each buyer (a "customer") is born with a first purchase at a time drawn from the daily traffic;
while alive they buy at rate lambda ~ Gamma(r, alpha) per week, and after every repeat
transaction they drop out with probability p ~ Beta(a, b) (Fader, Hardie & Lee 2005). Each
transaction's value is Gamma(p_gg, nu) with nu ~ Gamma(q, gamma) per customer. A transaction is a
calendar day: a repeat that falls on the day of the previous transaction moves to the next free
day (dropped if that leaves the window).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estore.generate.config import GenerationConfig


@dataclass(frozen=True)
class Transactions:
    """Realised transaction days of all customers, sorted by (day, customer)."""

    customer: np.ndarray  # int64 customer index
    day: np.ndarray  # int64 day index inside the window
    value: np.ndarray  # float64 drawn transaction value
    birth: np.ndarray  # float64 birth time per customer, days from window start
    simulated: int  # transactions simulated inside the window before moving same-day repeats
    moved: int  # repeats moved to a later day
    dropped: int  # repeats dropped because moving them left the window


def _simulate_block(
    rng: np.random.Generator, n: int, day_cdf: np.ndarray, window_days: int, c: GenerationConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    birth = np.searchsorted(day_cdf, rng.random(n), side="right").clip(0, window_days - 1) + rng.random(n)
    lam = rng.gamma(c.bgnbd_r, 1.0 / c.bgnbd_alpha, n) / 7.0  # per day
    drop = rng.beta(c.bgnbd_a, c.bgnbd_b, n)
    nu = rng.gamma(c.gg_q, 1.0 / c.gg_gamma, n)
    who = [np.arange(n)]
    when = [birth]
    t = birth.copy()
    active = np.arange(n)  # BG/NBD: alive at birth; dropout can follow each repeat transaction
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / np.maximum(lam[active], 1e-12)
        active = active[t[active] < window_days]
        who.append(active)
        when.append(t[active].copy())
        active = active[rng.random(active.size) >= drop[active]]
    cust = np.concatenate(who)
    times = np.concatenate(when)
    order = np.lexsort((times, cust))
    return cust[order], times[order], birth, nu, drop


def simulate_transactions(
    rng: np.random.Generator, target: int, day_weights: np.ndarray, c: GenerationConfig
) -> Transactions:
    """Simulate customers until their transactions reach `target` (the wanted purchase sessions)."""
    window_days = len(day_weights)
    day_cdf = np.cumsum(day_weights) / day_weights.sum()
    custs, times, births, nus = [], [], [], []
    total, offset = 0, 0
    block = max(1000, target // 2)
    while total < target:
        cust, t, birth, nu, _ = _simulate_block(rng, block, day_cdf, window_days, c)
        counts = np.bincount(cust, minlength=block)
        cum = np.cumsum(counts)
        if total + cum[-1] >= target:
            keep_n = int(np.searchsorted(cum, target - total) + 1)
        else:
            keep_n = block
        keep = cust < keep_n
        custs.append(cust[keep] + offset)
        times.append(t[keep])
        births.append(birth[:keep_n])
        nus.append(nu[:keep_n])
        total += int(cum[keep_n - 1])
        offset += keep_n
    cust = np.concatenate(custs)
    t = np.concatenate(times)
    birth = np.concatenate(births)
    nu = np.concatenate(nus)
    # one transaction per calendar day: e_k = max(d_k, e_{k-1} + 1) via a per-customer running max
    k = np.arange(len(cust)) - np.searchsorted(cust, cust, side="left")
    d = np.floor(t).astype(np.int64)
    big = np.int64(4 * window_days + 10)
    g = np.maximum.accumulate(cust * big + (d - k))
    day = g - cust * big + k
    inside = day < window_days
    value = rng.gamma(c.gg_p, 1.0 / nu[cust])
    moved = int(np.count_nonzero(day[inside] != d[inside]))
    order = np.lexsort((cust[inside], day[inside]))
    return Transactions(
        customer=cust[inside][order],
        day=day[inside][order],
        value=value[inside][order],
        birth=birth,
        simulated=len(cust),
        moved=moved,
        dropped=int(np.count_nonzero(~inside)),
    )


@dataclass(frozen=True)
class Users:
    """All users, sorted by user_id. Customers are users too (`customer_user[c]`)."""

    user_id: np.ndarray  # int64, ascending
    activity_cdf: np.ndarray  # cumulative returning-visit weight (heavy-tailed)
    customer_user: np.ndarray  # user index of each customer
    first_visit_users: np.ndarray  # non-buyers ordered by the day of their guaranteed first visit
    first_visit_start: np.ndarray  # per day offsets into first_visit_users (length days + 1)


def build_users(rng: np.random.Generator, n_customers: int, buyer_share: float, day_weights: np.ndarray) -> Users:
    """Users with ids ~5.1e8-5.8e8; every non-buyer gets one first visit on a traffic-weighted day."""
    n_users = max(n_customers + 1, int(round(n_customers / buyer_share)))
    span = 70_000_000
    gap_max = max(2, int(2 * span / n_users))
    user_id = 512_000_000 + np.cumsum(rng.integers(1, gap_max, n_users, dtype=np.int64))
    activity = rng.lognormal(0.0, 1.4, n_users)
    activity_cdf = np.cumsum(activity)
    activity_cdf /= activity_cdf[-1]
    customer_user = rng.choice(n_users, n_customers, replace=False).astype(np.int64)
    is_buyer = np.zeros(n_users, dtype=bool)
    is_buyer[customer_user] = True
    non_buyers = np.flatnonzero(~is_buyer)
    day_cdf = np.cumsum(day_weights) / day_weights.sum()
    n_days = len(day_weights)
    first_day = np.searchsorted(day_cdf, rng.random(len(non_buyers)), side="right").clip(0, n_days - 1)
    order = np.argsort(first_day, kind="stable")
    first_visit_users = rng.permutation(non_buyers)[order]  # random users, grouped by day
    first_visit_start = np.searchsorted(first_day[order], np.arange(n_days + 1), side="left")
    return Users(user_id, activity_cdf, customer_user, first_visit_users, first_visit_start)
