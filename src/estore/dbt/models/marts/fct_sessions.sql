{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_span',
        unique_key=['user_session', 'user_id'],
        meta={'span_column': 'session_start', 'span_end_column': 'session_end'},
        on_schema_change='fail',
        post_hook=[
            "{{ delete_sessions_without_events(ref('fct_events')) }}",
        ],
    )
}}

{#-
    Incremental (delete+insert on user_session, user_id): fct_events writes every row of a
    (user_session, user_id) pair together and stamps them with its build's built_at, so the pairs
    whose built_at is not yet here are exactly the pairs whose sessions changed since this table
    was last built (one build or several). Their sessions are re-aggregated from those rows
    alone, and every session of those pairs here is replaced: a pair whose split changed loses
    the sessions that no longer exist. The delete reads only the sessions between the first start
    and the last end of the written ones (macros/delete_insert_in_span.sql). Pairs whose rows all
    vanished (replaced loads), and sessions that started at a vanished row, are deleted by the
    post-hook. A full refresh aggregates all of fct_events.
-#}
{%- set new_built_at = [] -%}
{%- if is_incremental() and execute -%}
    {%- set stamps = run_query(
        "select distinct built_at from " ~ ref('fct_events')
        ~ " except select distinct built_at from " ~ this
    ) -%}
    {%- for stamp in stamps.columns[0].values() -%}
        {%- do new_built_at.append(stamp) -%}
    {%- endfor -%}
{%- endif %}

with

events as (

    select * from {{ ref('fct_events') }}
    {%- if is_incremental() %}
    -- a literal list, so the scan skips row groups written by earlier builds
    where {{ in_literals('built_at', new_built_at, dbt.type_timestamp()) }}
    {%- endif %}

),

sessions as (

    select
        session_key,
        min(user_session) as user_session,
        min(user_id) as user_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as events,
        cast(sum(case when event_type = 'view' then 1 else 0 end) as {{ dbt.type_bigint() }}) as views,
        cast(sum(case when event_type = 'cart' then 1 else 0 end) as {{ dbt.type_bigint() }}) as carts,
        cast(sum(case when event_type = 'purchase' then 1 else 0 end) as {{ dbt.type_bigint() }}) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue,
        min(case when event_type = 'purchase' then event_time end) as first_purchase_at,
        max(case when event_type = 'purchase' then event_time end) as last_purchase_at,
        max(built_at) as built_at

    from events
    group by session_key

),

final as (

    select
        session_key,
        user_session,
        user_id,
        session_start,
        session_end,
        {{ dbt.datediff('session_start', 'session_end', 'second') }} as duration_seconds,
        events,
        views,
        carts,
        purchases,
        revenue,
        case
            when purchases > 0 then 'purchase'
            when carts > 0 then 'cart'
            else 'view'
        end as funnel_stage,
        purchases > 0 as is_purchase_session,
        first_purchase_at,
        last_purchase_at,
        built_at

    from sessions

)

select * from final
