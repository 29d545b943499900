{#-
    The funnel columns shared by funnel_daily, funnel_by_category, funnel_by_brand and
    funnel_by_segment. Every rate is conditional on the earlier stage, so it always lies in
    [0, 1] even when a session carts or buys without a view event:
      view_to_cart_rate      = sessions with a view and a cart     / sessions with a view
      cart_to_purchase_rate  = sessions with a cart and a purchase / sessions with a cart
      view_to_purchase_rate  = sessions with a view and a purchase / sessions with a view
      cart_abandonment_rate  = sessions with a cart, no purchase   / sessions with a cart
    Rates are NULL when their denominator is 0.

    funnel_session_counts() counts, over rows of one session (or one session x group) carrying
    the booleans has_view, has_cart and has_purchase, the sessions at each stage; with a
    `weight` expression each row counts that much (int_session_groups_by_day counts sessions
    out of a group with -1).
    funnel_measures_from_counts() gives those counts and the rates from rows that already hold
    the counts, summed (e.g. over days or segments).
-#}
{% macro funnel_session_counts(weight=none) -%}
    {%- set w = weight or '1' -%}
    cast({{ 'count(*)' if weight is none else 'sum(' ~ weight ~ ')' }} as {{ dbt.type_bigint() }}) as sessions,
    cast(sum(case when has_view then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_view,
    cast(sum(case when has_cart then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_cart,
    cast(sum(case when has_purchase then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as sessions_with_purchase,
    cast(sum(case when has_cart and not has_purchase then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as abandoned_cart_sessions,
    cast(sum(case when has_view and has_cart then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as view_and_cart_sessions,
    cast(sum(case when has_cart and has_purchase then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as cart_and_purchase_sessions,
    cast(sum(case when has_view and has_purchase then {{ w }} else 0 end) as {{ dbt.type_bigint() }}) as view_and_purchase_sessions
{%- endmacro %}

{% macro funnel_measures_from_counts() -%}
    cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
    cast(sum(sessions_with_view) as {{ dbt.type_bigint() }}) as sessions_with_view,
    cast(sum(sessions_with_cart) as {{ dbt.type_bigint() }}) as sessions_with_cart,
    cast(sum(sessions_with_purchase) as {{ dbt.type_bigint() }}) as sessions_with_purchase,
    cast(sum(abandoned_cart_sessions) as {{ dbt.type_bigint() }}) as abandoned_cart_sessions,
    cast(sum(view_and_cart_sessions) as {{ type_double() }}) / nullif(sum(sessions_with_view), 0) as view_to_cart_rate,
    cast(sum(cart_and_purchase_sessions) as {{ type_double() }}) / nullif(sum(sessions_with_cart), 0) as cart_to_purchase_rate,
    cast(sum(view_and_purchase_sessions) as {{ type_double() }}) / nullif(sum(sessions_with_view), 0) as view_to_purchase_rate,
    cast(sum(abandoned_cart_sessions) as {{ type_double() }}) / nullif(sum(sessions_with_cart), 0) as cart_abandonment_rate
{%- endmacro %}
