"""The Streamlit entry point: `estore dashboard` runs `streamlit run` on this file.

It reads the workspace from ESTORE_WORKSPACE, shows the sidebar filters and routes to one page
module per page (estore.dashboard.views). With nothing published yet it says what to run.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard.views import churn, customers, funnel, lifetime_value, overview, products
from estore.errors import EstoreError
from estore.settings import load_settings

PAGES = [
    (overview.render, "Overview", "overview", ":material/dashboard:"),
    (customers.render, "Customers & segments", "customers", ":material/groups:"),
    (lifetime_value.render, "Lifetime value", "lifetime-value", ":material/savings:"),
    (churn.render, "Churn & retention", "churn", ":material/person_remove:"),
    (funnel.render, "Funnel", "funnel", ":material/filter_alt:"),
    (products.render, "Products", "products", ":material/inventory_2:"),
]


def _page(render: Callable[[ui.Context], None], ctx: ui.Context) -> Callable[[], None]:
    def run() -> None:
        try:
            render(ctx)
        except EstoreError as exc:
            ui.empty_state(str(exc))

    return run


def main() -> None:
    st.set_page_config(page_title="estore · marketing dashboard", page_icon=":material/monitoring:", layout="wide")
    settings = load_settings()
    try:
        info = data.build_info(settings)
    except EstoreError as exc:
        ui.empty_state(str(exc))
        return
    filters = ui.sidebar_filters(settings, info)
    ctx = ui.Context(settings, info, filters, charts.segment_colors(data.segments(settings)))
    pages = [
        st.Page(_page(render, ctx), title=title, url_path=path, icon=icon, default=i == 0)
        for i, (render, title, path, icon) in enumerate(PAGES)
    ]
    st.navigation(pages).run()


main()
