"""Customer value: the BG/NBD + Gamma-Gamma fit on marts.clv_customer_summary (estore.pipeline.fit_customer_value).

Same rule as `estore build`: a fit the data does not allow keeps the previous results (or, before
the first fit, leaves the after_clv models to build empty) and the run goes on, with a warning.
"""

import dagster as dg

from estore.orchestration.dbt_project import model_key
from estore.orchestration.keys import CUSTOMER_VALUE
from estore.orchestration.resources import EstoreResource
from estore.pipeline import fit_customer_value


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
    fit, reason = fit_customer_value(estore.settings())
    if fit is None:
        context.log.warning(reason)
        return dg.MaterializeResult(metadata={"refitted": False, "reason": reason})
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
