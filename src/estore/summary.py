"""The short summary printed after a run: what is in the marts, in numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from estore.warehouse import table_exists


@dataclass(frozen=True)
class SegmentRow:
    segment: str
    customers: int
    revenue: float
    customer_share: float
    revenue_share: float


@dataclass(frozen=True)
class Summary:
    events: int
    users: int
    buyers: int
    revenue: float
    sessions: int
    purchase_sessions: int
    segments: list[SegmentRow] = field(default_factory=list)
    clv_customers: int | None = None
    clv_total: float | None = None

    @property
    def session_conversion_rate(self) -> float:
        return self.purchase_sessions / self.sessions if self.sessions else 0.0


def summarize(con: duckdb.DuckDBPyConnection) -> Summary:
    """Read the headline numbers from the marts of a built warehouse."""
    events = con.execute("select count(*) from marts.fct_events").fetchone()[0]
    users, buyers, revenue = con.execute(
        "select count(*), count(*) filter (where orders > 0), coalesce(sum(revenue), 0) from marts.dim_users"
    ).fetchone()
    sessions, purchase_sessions = con.execute(
        "select count(*), count(*) filter (where is_purchase_session) from marts.fct_sessions"
    ).fetchone()
    rows = con.execute(
        """
        select segment, count(*) as customers, sum(monetary) as revenue,
               count(*) / sum(count(*)) over () as customer_share,
               sum(monetary) / nullif(sum(sum(monetary)) over (), 0) as revenue_share
        from marts.dim_user_rfm
        group by segment
        order by revenue desc
        """
    ).fetchall()
    segments = [SegmentRow(r[0], int(r[1]), float(r[2]), float(r[3]), float(r[4] or 0)) for r in rows]
    clv_customers = clv_total = None
    if table_exists(con, "marts", "dim_user_clv"):
        clv_customers, clv_total = con.execute("select count(*), sum(clv) from marts.dim_user_clv").fetchone()
    return Summary(
        events=int(events),
        users=int(users),
        buyers=int(buyers),
        revenue=float(revenue),
        sessions=int(sessions),
        purchase_sessions=int(purchase_sessions),
        segments=segments,
        clv_customers=clv_customers,
        clv_total=float(clv_total) if clv_total is not None else None,
    )
