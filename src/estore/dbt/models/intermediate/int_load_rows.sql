{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='load_id',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where load_id not in (select distinct load_id from {{ ref('stg_events') }})",
        ],
    )
}}

{#-
    The rows of each load in raw.events, and how many of them have no user_session. A load's
    rows never change once loaded (a replaced file comes back as a new load), so a build counts
    only the load_ids not counted yet; loads whose rows were deleted are removed by the
    post-hook.
-#}
{%- set loads = [] -%}
{%- if is_incremental() and execute -%}
    {%- set new_loads = run_query(
        "select distinct load_id from " ~ ref('stg_events')
        ~ " except select load_id from " ~ this
    ) -%}
    {%- do loads.extend(new_loads.columns[0].values()) -%}
{%- endif %}

with

events as (

    select * from {{ ref('stg_events') }}
    {%- if is_incremental() %}
    -- a literal list, so the scan skips row groups of other loads
    where {{ in_literals('load_id', loads, dbt.type_bigint()) }}
    {%- endif %}

),

final as (

    select
        load_id,
        cast(count(*) as {{ dbt.type_bigint() }}) as raw_rows,
        cast(sum(case when user_session is null then 1 else 0 end) as {{ dbt.type_bigint() }}) as rows_without_session

    from events
    group by load_id

)

select * from final
