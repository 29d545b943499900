"""One day of sessions and their events, vectorised with numpy.

Sessions starting on a day are built together: buyers' purchase sessions (from the CLV truth),
first visits of new users, then returning visits drawn by heavy-tailed user activity until the
day's event budget is met exactly. Events of a session are at least one second apart, so no two
rows of a session are identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estore.generate.calendar import HOURLY
from estore.generate.catalogue import Catalogue

VIEW, CART, PURCHASE = 0, 1, 2
MAX_GAP = 1200  # seconds between events of one session (well under the 60-minute session timeout)
MAX_PRE_VIEWS = 30
CATEGORY_SWITCH = 0.12  # chance that the next event of a browsing session moves to another category
REPEAT_VIEW = 0.25  # chance that an event looks again at the previous product
SECOND_ITEM = 0.15  # chance that a transaction buys two products that together cost its value
CART_BEFORE_PURCHASE = 0.9
EXTRA_ITEM_VIEW = 0.3
ALT_BRAND_SHARE = 0.3  # share of a two-brand product's rows that show its second brand
PURCHASE_SESSION_EVENTS = 3.0 + (1 + SECOND_ITEM) * (1 + EXTRA_ITEM_VIEW + CART_BEFORE_PURCHASE + 1)


@dataclass(frozen=True)
class PurchaseSessions:
    """Buyers' purchase sessions of one day, timed so that each stays inside its day."""

    sess: np.ndarray  # per event: session index
    product: np.ndarray  # per event
    etype: np.ndarray  # per event
    offset: np.ndarray  # per event: seconds after the session start
    lengths: np.ndarray  # per session
    duration: np.ndarray  # per session: seconds from first to last event
    start_tod: np.ndarray  # per session: start, seconds after midnight
    user: np.ndarray  # per session

    def select(self, keep: np.ndarray) -> PurchaseSessions:
        """The sessions where keep is True, re-indexed."""
        new = np.cumsum(keep) - 1
        rows = keep[self.sess]
        return PurchaseSessions(
            new[self.sess[rows]], self.product[rows], self.etype[rows], self.offset[rows],
            self.lengths[keep], self.duration[keep], self.start_tod[keep], self.user[keep],
        )  # fmt: skip


@dataclass(frozen=True)
class BlockPlan:
    """Sessions starting in hours [hours[0], hours[1]) of one day."""

    day_start: int  # epoch seconds of the day's midnight
    hours: tuple[int, int]
    window_end: int  # epoch seconds
    budget: int  # events to generate for sessions starting in this block
    purchases: PurchaseSessions  # those starting in this block
    first_visit_users: np.ndarray  # users whose guaranteed first visit is in this block
    browse_mean_length: float
    carts_per_carting_session: float  # mean carts in a browsing session that carts
    reuse_rate: float
    missing_session_rate: float

    @property
    def block_start(self) -> int:
        return self.day_start + self.hours[0] * 3600

    @property
    def block_end(self) -> int:
        return self.day_start + self.hours[1] * 3600


@dataclass
class BlockEvents:
    """Events of the sessions that start in one block, grouped by session (not yet time-ordered)."""

    time: np.ndarray  # int64 epoch seconds
    etype: np.ndarray  # int8
    product: np.ndarray  # int64 catalogue row
    brand: np.ndarray  # int32 brand index shown on the row (0 = empty)
    user: np.ndarray  # int64 user index
    session: np.ndarray  # int64 index into uuid
    missing: np.ndarray  # bool: user_session left empty
    uuid: np.ndarray  # (sessions, 36) uint8 ASCII of each session's id (reused ids repeated)
    uuid_owner: np.ndarray  # int64 session whose id each session carries (itself unless reused)
    purchase_sessions: int
    sessions: int
    reused: int


def _segment_starts(lengths: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def _products_in(rng: np.random.Generator, cat: Catalogue, categories: np.ndarray) -> np.ndarray:
    """Popularity-weighted product of each given category."""
    cum0 = np.concatenate([[0.0], cat.product_cum])
    lo = cum0[cat.cat_start[categories]]
    hi = cum0[cat.cat_start[categories + 1]]
    x = lo + rng.random(len(categories)) * (hi - lo)
    p = np.searchsorted(cat.product_cum, x, side="right")
    return np.clip(p, cat.cat_start[categories], cat.cat_start[categories + 1] - 1)


def _walk(rng: np.random.Generator, cat: Catalogue, first: np.ndarray, start_cat: np.ndarray | None) -> np.ndarray:
    """Products viewed by a category walk; `first` marks each session's first event."""
    n = len(first)
    switch = first | (rng.random(n) < CATEGORY_SWITCH)
    seg = np.cumsum(switch) - 1
    seg_cat = np.searchsorted(cat.cat_cdf, rng.random(int(seg[-1]) + 1), side="right").clip(0, len(cat.cat_cdf) - 1)
    if start_cat is not None:
        seg_cat[seg[first]] = start_cat
    product = _products_in(rng, cat, seg_cat[seg])
    repeat = ~switch & (rng.random(n) < REPEAT_VIEW)
    src = np.maximum.accumulate(np.where(repeat, -1, np.arange(n)))
    return product[src]


def _nearest_priced(rng: np.random.Generator, cat: Catalogue, value: np.ndarray) -> np.ndarray:
    """A product whose price is (one of the three) closest to each value."""
    prices = cat.price_cents[cat.by_price]
    cents = np.round(value * 100)
    i = np.searchsorted(prices, cents).clip(1, len(prices) - 1)
    i = np.where(np.abs(prices[i - 1] - cents) <= np.abs(prices[i] - cents), i - 1, i)
    j = (i + rng.integers(-1, 2, len(i))).clip(0, len(prices) - 1)
    better = np.abs(prices[j] - cents) <= np.abs(prices[i] - cents) * 1.02 + 50
    return cat.by_price[np.where(better, j, i)]


def _purchase_sessions(rng: np.random.Generator, cat: Catalogue, values: np.ndarray):
    """Events of purchase sessions: views around the item's category, view + cart of each item, purchases."""
    n = len(values)
    two = (rng.random(n) < SECOND_ITEM) & (values > 20)
    split = np.where(two, rng.uniform(0.3, 0.7, n), 1.0)
    item1 = _nearest_priced(rng, cat, values * split)
    rest = np.maximum(values - cat.price_cents[item1] / 100.0, 0.5)
    item2 = np.where(two, _nearest_priced(rng, cat, rest), -1)
    n_pre = np.minimum(rng.geometric(0.25, n) - 1, MAX_PRE_VIEWS)
    items = np.stack([item1, item2], axis=1)  # (n, 2)
    n_items = 1 + two.astype(np.int64)
    views = 1 + (rng.random((n, 2)) < EXTRA_ITEM_VIEW)
    carts = (rng.random((n, 2)) < CART_BEFORE_PURCHASE).astype(np.int64)
    has = np.arange(2)[None, :] < n_items[:, None]
    views, carts = views * has, carts * has
    # per-session blocks in order: pre-views, (views, carts) of item 1, of item 2, purchases
    block_len = np.column_stack([n_pre, views[:, 0] + carts[:, 0], views[:, 1] + carts[:, 1], n_items])
    lengths = block_len.sum(axis=1)
    total = int(lengths.sum())
    sess = np.repeat(np.arange(n), lengths)
    pos = np.arange(total) - _segment_starts(lengths)[sess]
    bounds = np.cumsum(block_len, axis=1)
    block = (pos[:, None] >= bounds[sess]).sum(axis=1)  # 0..3
    within = pos - np.where(block > 0, bounds[sess, np.maximum(block - 1, 0)], 0)
    etype = np.full(total, VIEW, dtype=np.int8)
    product = np.empty(total, dtype=np.int64)
    pre = block == 0
    first = pre & (pos == 0)
    if pre.any():
        pre_idx = np.flatnonzero(pre)
        first_pre = first[pre_idx]
        product[pre_idx] = _walk(rng, cat, first_pre, cat.category[item1[sess[pre_idx][first_pre]]])
    for b in (1, 2):
        m = block == b
        product[m] = items[sess[m], b - 1]
        etype[m & (within >= views[sess, b - 1])] = CART
    m = block == 3
    product[m] = items[sess[m], within[m]]
    etype[m] = PURCHASE
    return sess, product, etype, lengths


def purchase_sessions(
    rng: np.random.Generator, cat: Catalogue, users: np.ndarray, values: np.ndarray
) -> PurchaseSessions:
    """One purchase session per transaction, starting at a daily-profile time and ending the same day."""
    sess, product, etype, lengths = _purchase_sessions(rng, cat, values)
    offset, duration = _offsets(rng, sess, lengths)
    start = np.minimum(_start_seconds(rng, len(lengths), (0, 24)), 86_399 - duration)
    return PurchaseSessions(sess, product, etype, offset, lengths, duration, start, users.astype(np.int64))


def _offsets(rng: np.random.Generator, sess: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds after the session start of each event, and each session's duration."""
    starts = _segment_starts(lengths)
    gaps = _gaps(rng, len(sess))
    gaps[starts[lengths > 0]] = 0
    offset = np.cumsum(gaps)
    offset -= offset[starts][sess]
    duration = np.zeros(len(lengths), dtype=np.int64)
    has = lengths > 0
    duration[has] = offset[starts[has] + lengths[has] - 1]
    return offset, duration


def _browse_lengths(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    shape = 0.5
    mu = max(mean - 1.0, 0.05)
    return np.minimum(1 + rng.negative_binomial(shape, shape / (shape + mu), n), 1000).astype(np.int64)


def _fill(rng: np.random.Generator, budget: int, mean: float) -> np.ndarray:
    """Session lengths that sum exactly to budget (the last one trimmed)."""
    if budget <= 0:
        return np.zeros(0, dtype=np.int64)
    parts, total = [], 0
    while total < budget:
        more = _browse_lengths(rng, int((budget - total) / mean * 1.05) + 16, mean)
        parts.append(more)
        total += int(more.sum())
    lengths = np.concatenate(parts)
    cum = np.cumsum(lengths)
    k = int(np.searchsorted(cum, budget))  # first index reaching the budget
    lengths = lengths[: k + 1].copy()
    lengths[k] -= int(cum[k]) - budget
    return lengths


def _gaps(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.clip(np.round(rng.lognormal(np.log(25.0), 1.2, n)), 1, MAX_GAP).astype(np.int64)


def _start_seconds(rng: np.random.Generator, n: int, hours: tuple[int, int]) -> np.ndarray:
    """Session starts (seconds after midnight) inside the given hours, following the daily profile."""
    w = HOURLY[hours[0] : hours[1]]
    hour = hours[0] + np.searchsorted(np.cumsum(w) / w.sum(), rng.random(n), side="right").clip(0, len(w) - 1)
    return hour * 3600 + rng.integers(0, 3600, n)


def _uuid_ascii(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = hexdigits[raw >> 4]
    nibbles[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = nibbles[:, 0:8]
    out[:, 9:13] = nibbles[:, 8:12]
    out[:, 14:18] = nibbles[:, 12:16]
    out[:, 19:23] = nibbles[:, 16:20]
    out[:, 24:36] = nibbles[:, 20:32]
    return out


def build_block(rng: np.random.Generator, plan: BlockPlan, cat: Catalogue, activity_cdf: np.ndarray) -> BlockEvents:
    # --- purchase sessions (never dropped)
    ps = plan.purchases
    n_p = len(ps.lengths)
    browse_budget = plan.budget - len(ps.sess)
    # --- first visits, then returning visits, to the exact budget
    first_users = plan.first_visit_users
    f_len = _browse_lengths(rng, len(first_users), plan.browse_mean_length)
    cum = np.cumsum(f_len)
    if len(cum) and cum[-1] > browse_budget:  # a tiny run: keep the first visits that fit
        keep = int(np.searchsorted(cum, max(browse_budget, 0), side="right"))
        first_users, f_len = first_users[:keep], f_len[:keep]
    r_len = _fill(rng, browse_budget - int(f_len.sum()), plan.browse_mean_length)
    r_users = np.searchsorted(activity_cdf, rng.random(len(r_len)), side="right").clip(0, len(activity_cdf) - 1)
    b_len = np.concatenate([f_len, r_len])
    b_users = np.concatenate([first_users, r_users]).astype(np.int64)
    n_b = len(b_len)
    b_total = int(b_len.sum())
    b_sess = np.repeat(np.arange(n_b), b_len)
    b_first = np.zeros(b_total, dtype=bool)
    b_first[_segment_starts(b_len)[b_len > 0]] = True
    b_prod = _walk(rng, cat, b_first, None) if b_total else np.zeros(0, dtype=np.int64)
    b_type = np.zeros(b_total, dtype=np.int8)
    # carting browsing sessions: about as many as carting purchase sessions (half of carting sessions buy)
    eligible = b_len >= 2
    if eligible.any() and n_p:
        p_cart = min(1.0, CART_BEFORE_PURCHASE * n_p / int(eligible.sum()))
        carting = eligible & (rng.random(n_b) < p_cart)
        n_carts = np.minimum(1 + rng.poisson(plan.carts_per_carting_session - 1, n_b), b_len - 1) * carting
        # choose n_carts distinct non-first positions by random rank within the session
        in_carting = carting[b_sess] & ~b_first
        idx = np.flatnonzero(in_carting)
        key = rng.random(len(idx))
        order = np.lexsort((key, b_sess[idx]))
        ranked = idx[order]
        s = b_sess[ranked]
        rank = np.arange(len(ranked)) - np.searchsorted(s, s, side="left")
        b_type[ranked[rank < n_carts[s]]] = CART
        last_view = np.maximum.accumulate(np.where(b_type == VIEW, np.arange(b_total), 0))
        is_cart = b_type == CART
        b_prod[is_cart] = b_prod[last_view[is_cart]]
    # --- browsing sessions' times
    b_offset, b_duration = _offsets(rng, b_sess, b_len)
    b_start = plan.day_start + _start_seconds(rng, n_b, plan.hours)
    if plan.day_start + 86_400 >= plan.window_end:  # the window's last day: every session ends inside it
        b_start = np.maximum(b_start - np.maximum(b_start + b_duration - (plan.window_end - 1), 0), plan.block_start)
        too_long = b_start + b_duration > plan.window_end - 1
        if too_long.any():  # rare: squeeze the session to one event per second
            rows = too_long[b_sess]
            b_offset[rows] = np.arange(b_total)[rows] - _segment_starts(b_len)[b_sess[rows]]
            b_duration[too_long] = b_len[too_long] - 1
            b_start[too_long] = np.maximum(plan.window_end - 1 - b_duration[too_long], plan.block_start)
    # --- all sessions of the block: purchase sessions first
    n_s = n_p + n_b
    lengths = np.concatenate([ps.lengths, b_len])
    sess = np.concatenate([ps.sess, b_sess + n_p])
    product = np.concatenate([ps.product, b_prod])
    etype = np.concatenate([ps.etype, b_type])
    s_user = np.concatenate([ps.user, b_users])
    user = s_user[sess]
    n = len(sess)
    has = lengths > 0
    offset = np.concatenate([ps.offset, b_offset])
    duration = np.concatenate([ps.duration, b_duration])
    start = np.concatenate([plan.day_start + ps.start_tod, b_start])
    time = start[sess] + offset
    # --- session ids, ~reuse_rate of them repeating the same user's earlier id after > 1 hour
    owner = np.arange(n_s)
    by_user = np.lexsort((start, s_user))
    prev = by_user[:-1]
    nxt = by_user[1:]
    ok = (s_user[prev] == s_user[nxt]) & (start[nxt] - (start[prev] + duration[prev]) > 3600) & has[prev] & has[nxt]
    if ok.any() and plan.reuse_rate > 0:
        chance = min(1.0, plan.reuse_rate * n_s / int(ok.sum()))
        pick = ok & (rng.random(len(ok)) < chance)
        owner[nxt[pick]] = prev[pick]
        while True:
            deeper = owner[owner]
            if np.array_equal(deeper, owner):
                break
            owner = deeper
    uuid = _uuid_ascii(rng, n_s)[owner]
    # --- row attributes
    is_purchase_session = np.zeros(n_s, dtype=bool)
    is_purchase_session[:n_p] = True
    missing = ~is_purchase_session[sess] & (rng.random(n) < plan.missing_session_rate)
    alt = cat.alt_brand[product]
    use_alt = (alt > 0) & (rng.random(n) < ALT_BRAND_SHARE)
    brand = np.where(use_alt, alt, cat.brand[product]).astype(np.int32)
    return BlockEvents(
        time=time,
        etype=etype,
        product=product,
        brand=brand,
        user=user,
        session=sess,
        missing=missing,
        uuid=uuid,
        uuid_owner=owner,
        purchase_sessions=n_p,
        sessions=int(np.count_nonzero(has)),
        reused=int(np.count_nonzero(owner != np.arange(n_s))),
    )
