"""The `estore` command: parses arguments, calls the library, prints what happened."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from estore.errors import EstoreError
from estore.settings import Settings, load_settings, parse_var

console = Console(soft_wrap=True)  # long paths and messages stay on one line; tables still fit the width
err = Console(stderr=True, soft_wrap=True)


class _Commands(TyperGroup):
    """The estore commands. Typer ends a command interrupted by Ctrl-C with exit code 130 and no
    word; this first says what became of the work (the library's interrupts say it)."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            what = str(exc) or "the step in progress was rolled back"
            err.print(f"[red]interrupted[/red]: {escape(what)}; run the command again.")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_Commands,
    help="Marketing analytics for e-commerce event files: load exactly once, build dbt marts, fit CLV.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

VarOption = Annotated[
    list[str] | None,
    typer.Option("--var", help="Override a dbt var, e.g. --var churn_days=120 (repeatable)."),
]


@app.callback()
def main_options(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="ESTORE_WORKSPACE",
            help="Folder for everything a run produces (warehouse.duckdb, logs, dbt target). Default ./estore-data.",
        ),
    ] = None,
) -> None:
    ctx.obj = workspace


def _settings(ctx: typer.Context, var: list[str] | None = None) -> Settings:
    cli_vars = dict(parse_var(v) for v in var or [])
    return load_settings(ctx.obj, cli_vars)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the monthly files and generation.json into.")],
    events: Annotated[int, typer.Option(help="Total events across all months.")] = 3_000_000,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2019-10",
    months: Annotated[int, typer.Option(help="Number of monthly files.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 42,
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .csv.gz instead of .csv.")] = False,
    buyer_share: Annotated[float | None, typer.Option(help="Share of users who ever buy.")] = None,
    duplicate_rate: Annotated[float | None, typer.Option(help="Share of rows written twice.")] = None,
    multi_brand_product_rate: Annotated[
        float | None, typer.Option(help="Share of products also seen under a second brand.")
    ] = None,
    missing_session_rate: Annotated[float | None, typer.Option(help="Share of rows with no user_session.")] = None,
    malformed_rate: Annotated[float | None, typer.Option(help="Share of malformed lines.")] = None,
    bgnbd_r: Annotated[float | None, typer.Option(help="True BG/NBD r (purchase-rate shape).")] = None,
    bgnbd_alpha: Annotated[float | None, typer.Option(help="True BG/NBD alpha (rate scale, weeks).")] = None,
    bgnbd_a: Annotated[float | None, typer.Option(help="True BG/NBD a (dropout beta a).")] = None,
    bgnbd_b: Annotated[float | None, typer.Option(help="True BG/NBD b (dropout beta b).")] = None,
    gg_p: Annotated[float | None, typer.Option(help="True Gamma-Gamma p.")] = None,
    gg_q: Annotated[float | None, typer.Option(help="True Gamma-Gamma q.")] = None,
    gg_gamma: Annotated[float | None, typer.Option(help="True Gamma-Gamma gamma.")] = None,
) -> None:
    """Write realistic event files in the REES46 format, with a known CLV truth and dirt.

    Example: estore generate --out landing --events 3000000 --start 2019-10 --months 2 --gzip
    """
    from estore.generate import GenerationConfig
    from estore.generate import generate as run_generate

    overrides = {
        k: v
        for k, v in dict(
            buyer_share=buyer_share,
            duplicate_rate=duplicate_rate,
            multi_brand_product_rate=multi_brand_product_rate,
            missing_session_rate=missing_session_rate,
            malformed_rate=malformed_rate,
            bgnbd_r=bgnbd_r,
            bgnbd_alpha=bgnbd_alpha,
            bgnbd_a=bgnbd_a,
            bgnbd_b=bgnbd_b,
            gg_p=gg_p,
            gg_q=gg_q,
            gg_gamma=gg_gamma,
        ).items()
        if v is not None
    }
    config = GenerationConfig(events=events, start=start, months=months, seed=seed, gzip=gzip, **overrides)
    with _progress() as bar:
        task = bar.add_task("generating events", total=events, detail="")
        manifest = run_generate(out, config, progress=lambda done, total: bar.update(task, completed=done))
    table = Table("file", "rows", "MB", title=f"Generated in {escape(str(out))}")
    for f in manifest["files"]:
        table.add_row(f["name"], f"{f['rows']:,}", f"{f['bytes'] / 1e6:,.1f}")
    console.print(table)
    console.print(f"manifest: {escape(str(Path(out) / 'generation.json'))}")
    from estore.ingest.discover import discover

    written = {str((Path(out) / f["name"]).resolve()) for f in manifest["files"]}
    others = [Path(path).name for path in discover([out]) if path not in written]
    if others:
        err.print(
            f"[yellow]{escape(str(out))} also holds {len(others)} event file(s) this run did not write "
            f"({escape(', '.join(others[:5]))}{', ...' if len(others) > 5 else ''}): loading the folder would load "
            "them too; remove them, or generate into an empty folder[/yellow]"
        )


@app.command()
def load(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs of .csv, .csv.gz, .parquet.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the rows of a path whose content has changed.")
    ] = False,
) -> None:
    """Load event files into the warehouse, each exactly once and atomically.

    Example: estore load data/2019-Oct.csv.gz 'data/2019-*.csv'
    """

    settings = _settings(ctx)
    results = _load(settings, paths, replace)
    if any(r.status == "refused" for r in results):
        raise typer.Exit(1)


@app.command()
def build(
    ctx: typer.Context,
    var: VarOption = None,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="Rebuild incremental models.")] = False,
    select: Annotated[str | None, typer.Option(help="dbt selector, e.g. 'dim_user_rfm+'.")] = None,
) -> None:
    """Build every dbt model (with its tests), then fit customer value.

    Example: estore build --var churn_days=120
    """
    settings = _settings(ctx, var)
    _build(settings, full_refresh=full_refresh, select=select)
    _print_summary(settings)


@app.command()
def run(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Files, folders or globs of .csv, .csv.gz, .parquet.")],
    var: VarOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the rows of a path whose content has changed.")
    ] = False,
) -> None:
    """Load the files, build every model and print the summary.

    Example: estore run ~/rees46/2019-Oct.csv.gz ~/rees46/2019-Nov.csv.gz
    """
    settings = _settings(ctx, var)
    results = _load(settings, paths, replace)
    if any(r.status == "refused" for r in results):
        err.print("[red]Some files were refused (see above); fix them and run again. Models not rebuilt.[/red]")
        raise typer.Exit(1)
    _build(settings)
    _print_summary(settings)


@app.command()
def summary(ctx: typer.Context) -> None:
    """Print the headline numbers of the built warehouse.

    Example: estore --workspace estore-data summary
    """
    _print_summary(_settings(ctx))


@app.command("validate-clv")
def validate_clv(
    ctx: typer.Context,
    calibration_end: Annotated[
        str, typer.Option(help="Last day of the calibration period (YYYY-MM-DD); later data is the holdout.")
    ],
    var: VarOption = None,
) -> None:
    """Fit CLV on data up to a date and compare predicted with actual repeat purchases after it.

    Example: estore validate-clv --calibration-end 2019-11-15
    """
    from estore.validation import validate_clv as run_validation

    settings = _settings(ctx, var)
    report, published = run_validation(settings, calibration_end)
    console.print(report.render())
    if not published:
        err.print(
            "[yellow]not published to the dashboard: the warehouse has changes no build has published yet "
            "(files loaded, or a build that did not finish); `estore build` publishes everything[/yellow]"
        )


# --- dashboard, report, exports (all read the serving snapshot, never the warehouse) --------

FromOption = Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD.")]
ToOption = Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, YYYY-MM-DD.")]
CategoryOption = Annotated[str | None, typer.Option(help="Top-level category, e.g. electronics.")]


@app.command()
def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve on.", min=1, max=65535)] = 8501,
) -> None:
    """Serve the marketing dashboard (Streamlit) for the workspace on 127.0.0.1 until Ctrl-C.

    It reads the last published build only, so it keeps working while a build runs.
    Example: estore --workspace estore-data dashboard --port 8501
    """
    from estore.dashboard.server import serve

    settings = _settings(ctx)
    if not settings.serving.exists():
        err.print(
            f"[yellow]nothing published in {escape(str(settings.workspace))} yet: "
            "the dashboard will say what to run[/yellow]"
        )

    def started(url: str) -> None:
        console.print(f"dashboard for {escape(str(settings.workspace))}: [bold]{escape(url)}[/bold]  (Ctrl-C to stop)")

    code = serve(settings, port, on_start=started)
    if code:
        raise typer.Exit(code)


@app.command()
def report(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    date_from: FromOption = None,
    date_to: ToOption = None,
    category: CategoryOption = None,
    segment: Annotated[str | None, typer.Option(help="RFM segment, e.g. Champions.")] = None,
) -> None:
    """Write one self-contained HTML report (headline numbers and charts) that opens offline.

    Example: estore report --out report.html --from 2019-11-01 --to 2019-11-30
    """
    from estore.dashboard import data
    from estore.report import write_report

    settings = _settings(ctx)
    filters = None
    if any(v is not None for v in (date_from, date_to, category, segment)):
        filters = data.filters_for(
            settings,
            data.build_info(settings),
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            category=category,
            segment=segment,
        )
    result = write_report(settings, out, filters)
    if result.empty:
        err.print(f"[yellow]{escape(result.message)}[/yellow]")
    console.print(f"report: {escape(str(result.path.resolve()))}")


@app.command()
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="File to write, .csv or .parquet.")],
    segment: Annotated[str | None, typer.Option(help="RFM segment, e.g. 'At Risk'; all customers if unset.")] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv or parquet; by default from --out's suffix, else csv.")
    ] = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    category: CategoryOption = None,
) -> None:
    """Export a customer list (user_id, segment, RFM, revenue, predicted CLV, P(alive)) for marketing tools.

    With --from/--to/--category only the customers who bought then and there.
    Example: estore export --segment 'At Risk' --out at_risk.parquet
    """
    from estore import exports
    from estore.dashboard import data

    settings = _settings(ctx)
    info = data.build_info(settings)
    filters = data.filters_for(
        settings,
        info,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        category=category,
        segment=segment,
    )
    df = exports.customer_list(settings, segment, filters)
    path = exports.write(df, out, format)
    console.print(f"{len(df):,} customers written to {escape(str(path.resolve()))}")


@app.command()
def ui(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 3000,
) -> None:
    """Start the Dagster UI and daemon for the workspace: new landed files load and the models rebuild.

    Runs until Ctrl-C or SIGTERM and then stops every process it started. See docs/orchestration.md.
    Example: estore --workspace estore-data ui --port 3000
    """
    from estore.orchestration.ui import serve

    code = serve(_settings(ctx), host=host, port=port, out=lambda text: console.print(text, markup=False))
    if code:
        raise typer.Exit(code)


# --- printing helpers -------------------------------------------------------------------


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _load(settings: Settings, paths: list[str], replace: bool):
    from estore import pipeline

    with _progress() as bar:
        tasks: dict[str, int] = {}

        def on_progress(event) -> None:
            if event.path not in tasks:
                tasks[event.path] = bar.add_task(Path(event.path).name, total=1.0, detail="")
            fraction = event.fraction or 0.0
            mb_s = event.bytes_total * fraction / 1e6 / event.elapsed if event.elapsed else 0.0
            rows = f"{event.rows:,} rows · " if event.rows else ""
            bar.update(tasks[event.path], completed=fraction, detail=f"{rows}{mb_s:,.0f} MB/s")

        results = pipeline.load(settings, paths, replace=replace, progress=on_progress)
    table = Table("file", "status", "rows loaded", "quarantined", "seconds", "MB/s", title="Loaded files")
    for r in results:
        colour = {"loaded": "green", "replaced": "green", "skipped": "yellow", "refused": "red"}[r.status]
        table.add_row(
            escape(Path(r.path).name),
            f"[{colour}]{r.status}[/{colour}]",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{r.seconds:.1f}",
            f"{r.mb_per_s:,.0f}",
        )
    console.print(table)
    for r in results:
        if r.message:  # a refusal names the file's whole path itself
            text = r.message if r.status == "refused" else f"{Path(r.path).name}: {r.message}"
            console.print(escape(text))
    return results


def _build(settings: Settings, **kwargs) -> None:
    from estore import pipeline

    with console.status("building models") as status:
        outcome = pipeline.build(settings, progress=lambda node: status.update(f"building models · {node}"), **kwargs)
    console.print(f"dbt build: {len(outcome.dbt.nodes)} nodes in {outcome.dbt.seconds:.1f} s")
    if outcome.clv is not None:
        from estore.clv import homogeneous_dropout

        fit = outcome.clv
        console.print(
            f"customer value: BG/NBD + Gamma-Gamma on {fit.customers:,} customers, fitted in {fit.fit_seconds:.2f} s"
        )
        if note := homogeneous_dropout(fit.bgnbd.params):
            console.print(f"customer value: {note}")
    if outcome.clv_message:
        err.print(f"[yellow]{escape(outcome.clv_message)}[/yellow]")
    pub = outcome.published
    console.print(f"published {len(pub.tables)} tables to {escape(str(pub.path))} in {pub.seconds:.1f} s")


def _print_summary(settings: Settings) -> None:
    from estore.summary import summarize
    from estore.warehouse import connect, require_built

    require_built(settings.warehouse)
    with connect(settings.warehouse, read_only=True) as con:
        s = summarize(con)
    head = Table(show_header=False, title="estore summary")
    head.add_row("events", f"{s.events:,}")
    head.add_row("users", f"{s.users:,}")
    head.add_row("buyers", f"{s.buyers:,} ({s.buyers / max(s.users, 1):.1%} of users)")
    head.add_row("revenue", f"{s.revenue:,.2f}")
    head.add_row("sessions", f"{s.sessions:,}")
    head.add_row("session conversion", f"{s.session_conversion_rate:.2%}")
    if s.clv_total is not None:
        head.add_row("predicted CLV (horizon)", f"{s.clv_total:,.2f} over {s.clv_customers:,} customers")
    console.print(head)
    seg = Table("segment", "customers", "% customers", "revenue", "% revenue", title="RFM segments")
    for row in s.segments:
        seg.add_row(
            row.segment,
            f"{row.customers:,}",
            f"{row.customer_share:.1%}",
            f"{row.revenue:,.2f}",
            f"{row.revenue_share:.1%}",
        )
    console.print(seg)
    if not s.events:
        err.print(
            "[yellow]no events loaded yet: `estore load PATH...` then `estore build`, or `estore run PATH...`[/yellow]"
        )
    console.print(f"warehouse: {escape(str(settings.warehouse))}\nlogs:      {escape(str(settings.logs_dir))}")


def main() -> None:
    try:
        app()
    except EstoreError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except Exception as exc:
        import duckdb

        if not isinstance(exc, duckdb.OutOfMemoryException):
            raise
        first_line = str(exc).splitlines()[0]
        advice = (
            "Give DuckDB more memory with ESTORE_MEMORY_LIMIT (e.g. 8GB) or memory_limit under [duckdb] in "
            "<workspace>/estore.toml, or use fewer threads (ESTORE_THREADS=1). The step that ran out was rolled "
            "back; run the command again."
        )
        err.print(f"[red]error:[/red] {escape(first_line)}\n{escape(advice)}")
        sys.exit(1)
