{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='load_id',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where load_id not in (select load_id from {{ ref('int_loads') }} where is_live)",
        ],
    )
}}

{#-
    The events of fct_events per load, product, brand, category and code: counts by type,
    revenue, and the time, key and price of the group's latest event (the largest event_time,
    ties broken by event_key, see macro last_value_by). dim_products and dim_categories sum it (a
    few rows per product and load) instead of every event.

    Incremental by load (delete+insert on load_id): a build recomputes the loads whose event
    count in fct_events differs from this table's (new loads, and any load that gained or lost
    rows); rows fct_events re-emits when it re-sessionizes keep their content, so their counts
    here stay right. Loads no longer live (replaced, or gone from raw.events: fct_events drops
    their rows too) are deleted by the post-hook, which reads them from int_loads, not from a
    scan of every event's load_id.
-#}
{%- set loads = [] -%}
{%- if is_incremental() and execute -%}
    {%- set changed_loads = run_query(
        "with current_loads as (
            select load_id, count(*) as events from " ~ ref('fct_events') ~ " group by load_id
        ),
        stored_loads as (
            select load_id, sum(events) as events from " ~ this ~ " group by load_id
        )
        select current_loads.load_id
        from current_loads
        left join stored_loads on current_loads.load_id = stored_loads.load_id
        where stored_loads.events is null or stored_loads.events <> current_loads.events"
    ) -%}
    {%- do loads.extend(changed_loads.columns[0].values()) -%}
{%- endif %}

with

events as (

    select * from {{ ref('fct_events') }}
    {%- if is_incremental() %}
    -- a literal list, so the scan skips row groups of other loads
    where {{ in_literals('load_id', loads, dbt.type_bigint()) }}
    {%- endif %}

),

final as (

    select
        load_id,
        product_id,
        brand,
        category_id,
        category_code,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        cast(sum(case when event_type = 'view' then 1 else 0 end) as {{ dbt.type_bigint() }}) as views,
        cast(sum(case when event_type = 'cart' then 1 else 0 end) as {{ dbt.type_bigint() }}) as carts,
        cast(sum(case when event_type = 'purchase' then 1 else 0 end) as {{ dbt.type_bigint() }}) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue,
        max(event_time) as last_event_at,
        {{ last_value_by('event_key', 'event_time', 'event_key') }} as last_event_key,
        {{ last_value_by('price', 'event_time', 'event_key') }} as last_price

    from events
    group by load_id, product_id, brand, category_id, category_code

)

select * from final
