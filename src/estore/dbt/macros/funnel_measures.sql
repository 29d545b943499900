{#-
    The funnel columns shared by funnel_daily, funnel_by_category, funnel_by_brand and
    funnel_by_segment, aggregated over rows of one session (or one session x group) that carry
    the booleans has_view, has_cart and has_purchase. Every rate is conditional on the earlier
    stage, so it always lies in [0, 1] even when a session carts or buys without a view event:
      view_to_cart_rate      = sessions with a view and a cart     / sessions with a view
      cart_to_purchase_rate  = sessions with a cart and a purchase / sessions with a cart
      view_to_purchase_rate  = sessions with a view and a purchase / sessions with a view
      cart_abandonment_rate  = sessions with a cart, no purchase   / sessions with a cart
    Rates are NULL when their denominator is 0.
-#}
{% macro funnel_measures() -%}
    cast(count(*) as {{ dbt.type_bigint() }}) as sessions,
    cast(sum(case when has_view then 1 else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_view,
    cast(sum(case when has_cart then 1 else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_cart,
    cast(sum(case when has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_purchase,
    cast(sum(case when has_cart and not has_purchase then 1 else 0 end) as {{ dbt.type_bigint() }}) as abandoned_cart_sessions,
    cast(sum(case when has_view and has_cart then 1 else 0 end) as {{ type_double() }})
        / nullif(sum(case when has_view then 1 else 0 end), 0) as view_to_cart_rate,
    cast(sum(case when has_cart and has_purchase then 1 else 0 end) as {{ type_double() }})
        / nullif(sum(case when has_cart then 1 else 0 end), 0) as cart_to_purchase_rate,
    cast(sum(case when has_view and has_purchase then 1 else 0 end) as {{ type_double() }})
        / nullif(sum(case when has_view then 1 else 0 end), 0) as view_to_purchase_rate,
    cast(sum(case when has_cart and not has_purchase then 1 else 0 end) as {{ type_double() }})
        / nullif(sum(case when has_cart then 1 else 0 end), 0) as cart_abandonment_rate
{%- endmacro %}
