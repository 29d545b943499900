{#-
    The measures brand_performance and category_performance share, from `sums` (a relation of
    summed int_session_groups_by_day rows: revenue, purchases, views, carts, sessions,
    purchase_sessions) and `buyers` (its distinct buyers, left joined).
-#}
{% macro group_performance_measures(sums, buyers) -%}
    {{ sums }}.revenue,
    cast({{ sums }}.purchases as {{ dbt.type_bigint() }}) as purchases,
    cast(coalesce({{ buyers }}.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
    cast({{ sums }}.views as {{ dbt.type_bigint() }}) as views,
    cast({{ sums }}.carts as {{ dbt.type_bigint() }}) as carts,
    cast({{ sums }}.sessions as {{ dbt.type_bigint() }}) as sessions,
    cast({{ sums }}.purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
    cast({{ sums }}.purchase_sessions as {{ type_double() }}) / {{ sums }}.sessions as conversion_rate,
    cast({{ sums }}.views as {{ type_double() }}) / {{ sums }}.sessions as views_per_session,
    cast({{ sums }}.revenue as {{ type_double() }}) / nullif(sum({{ sums }}.revenue) over (), 0) as revenue_share
{%- endmacro %}


{#- Sums the int_session_groups_by_day rows of one dimension per group, as `name`. -#}
{% macro sum_group_days(dimension, name) -%}
    select
        group_value as {{ name }},
        sum(revenue) as revenue,
        sum(purchases) as purchases,
        sum(views) as views,
        sum(carts) as carts,
        sum(sessions) as sessions,
        sum(sessions_with_purchase) as purchase_sessions

    from {{ ref('int_session_groups_by_day') }}
    where dimension = '{{ dimension }}'
    group by group_value
{%- endmacro %}
