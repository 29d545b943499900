"""Customer value: the BG/NBD + Gamma-Gamma fit on marts.clv_customer_summary (estore.clv.run_clv).

Same rule as estore.pipeline.build: a fit that cannot be made keeps the previous results. With
no previous results the models after the fit cannot build, so the asset fails and alerts.
"""

import dagster as dg

from estore.clv import ClvFitError, run_clv
from estore.orchestration.dbt_project import model_key
from estore.orchestration.keys import CUSTOMER_VALUE
from estore.orchestration.resources import EstoreResource
from estore.warehouse import connect, table_exists


@dg.asset(
    key=CUSTOMER_VALUE,
    deps=[model_key("clv_customer_summary")],
    group_name="marts",
    description=(
        "marts.dim_user_clv (P(alive), expected purchases and spend, discounted CLV per buyer) and a "
        "new row of marts.clv_model_fit, written in one transaction by estore.clv.run_clv."
    ),
)
def customer_value(context: dg.AssetExecutionContext, estore: EstoreResource) -> dg.MaterializeResult:
    settings = estore.settings()
    with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
        try:
            fit = run_clv(
                con,
                horizon_months=settings.clv_horizon_months,
                annual_discount_rate=settings.clv_annual_discount_rate,
            )
        except ClvFitError as exc:
            if not table_exists(con, "marts", "dim_user_clv"):
                raise dg.Failure(
                    description=f"customer value could not be fitted and no earlier fit exists: {exc}"
                ) from exc
            context.log.warning(f"customer value not refitted, previous results kept: {exc}")
            return dg.MaterializeResult(metadata={"refitted": False, "reason": str(exc)})
    params = fit.bgnbd.params
    gg = fit.gamma_gamma.params
    return dg.MaterializeResult(
        metadata={
            "refitted": True,
            "fit_id": fit.fit_id,
            "customers": fit.customers,
            "repeat_customers": fit.repeat_customers,
            "total_clv": dg.MetadataValue.float(fit.total_clv),
            "bgnbd": dg.MetadataValue.json({"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b}),
            "gamma_gamma": dg.MetadataValue.json({"p": gg.p, "q": gg.q, "gamma": gg.gamma}),
            "fit_seconds": round(fit.fit_seconds, 2),
        }
    )
