"""The Streamlit dashboard over the serving snapshot (estore.serving).

`data` holds every query (plain functions of the settings and the filters, returning
DataFrames), `charts` the plotly figures, `formatting` how numbers are written; the report and
the exports use the same three. `app` is the Streamlit entry point and `views` one module per
page. Nothing here opens the warehouse: only the read-only snapshot, one short connection per query.
"""
