{#-
    The additive funnel counts of the dashboard models (models/marts/dashboard), aggregated over
    rows of one session (or one session x category) that carry has_view, has_cart, has_purchase,
    purchases and revenue. Unlike funnel_measures it stores the numerators of every rate as
    counts, so rates can be computed after summing over any date range, category and segment:
      view_to_cart_rate     = view_cart_sessions / sessions_with_view
      cart_to_purchase_rate = cart_purchase_sessions / sessions_with_cart
      view_to_purchase_rate = view_purchase_sessions / sessions_with_view
      cart_abandonment_rate = abandoned_cart_sessions / sessions_with_cart
-#}
{% macro dashboard_funnel_counts() -%}
    cast(count(*) as {{ dbt.type_bigint() }}) as sessions,
    cast(sum(case when has_view then 1 else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_view,
    cast(sum(case when has_cart then 1 else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_cart,
    cast(sum(case when has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as orders,
    cast(sum(case when has_view and has_cart then 1 else 0 end) as {{ dbt.type_bigint() }}) as view_cart_sessions,
    cast(sum(case when has_cart and has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as cart_purchase_sessions,
    cast(sum(case when has_view and has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as view_purchase_sessions,
    cast(sum(case when has_cart and not has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as abandoned_cart_sessions,
    cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
    sum(revenue) as revenue
{%- endmacro %}
