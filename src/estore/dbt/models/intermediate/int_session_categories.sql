{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_date',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where session_date not in (
                select distinct cast(session_start as date)
                from {{ ref('fct_sessions') }})",
        ],
    )
}}

{#-
    One row per session x top-level category it has an event in ('unknown' when the category
    has no code), with the day the session started, its user, and the funnel stages, purchases
    and revenue of its events in that category. dashboard_category_daily groups it by the
    users' current segments, which change with every build, so it reads this table (about 1.3
    rows per session) instead of every event.

    Incremental, by day (delete+insert on session_date): a build recomputes the days with a
    session fct_sessions rewrote since the last build (built_at newer than this table's), the
    days whose event count changed (sessions deleted with a replaced load), and the days of the
    sessions holding an event of a category that got a newer code since the last build
    (int_group_assignments); every day if that history was rebuilt since. Days left without
    sessions are deleted by the post-hook.
-#}
{%- set assignments = ref('int_group_assignments') -%}
{%- set session_date = "cast(session_start as date)" -%}
{%- set last_build = "(select max(built_at) from " ~ this ~ ")" -%}
{%- set days = [] -%}
{%- set bounds = {} -%}
{%- if is_incremental() and execute -%}
    {%- set recoded = run_query(
        "select id from (" ~ regrouped_ids_query(last_build) ~ ") as regrouped
        where kind = 'category_code'"
    ).columns[0].values() -%}
    {%- set changed_days = run_query(
        "with current_days as (
            select " ~ session_date ~ " as session_date, sum(events) as events, max(built_at) as built_at
            from " ~ ref('fct_sessions') ~ "
            group by " ~ session_date ~ "
        ),
        stored_days as (
            select session_date, sum(events) as events from " ~ this ~ " group by session_date
        )
        select current_days.session_date
        from current_days
        left join stored_days on current_days.session_date = stored_days.session_date
        where stored_days.events is null
            or stored_days.events <> current_days.events
            or current_days.built_at > " ~ last_build ~ "
            or (select min(assigned_at) from " ~ assignments ~ ") > " ~ last_build
        ~ ("
        union
        select " ~ session_date ~ " from " ~ ref('fct_sessions') ~ "
        where session_key in (
            select session_key from " ~ ref('fct_events') ~ "
            where " ~ in_literals('category_id', recoded, dbt.type_bigint()) ~ ")" if recoded else "")
    ) -%}
    {%- do days.extend(changed_days.columns[0].values()) -%}
    {%- do bounds.update(sessions_span(days)) -%}
{%- endif %}

with

events as (

    select * from {{ ref('fct_events') }}
    {%- if is_incremental() %}
    -- literal bounds, so the scan skips row groups of other days
    where {{ within_span('event_time', bounds) }}
    {%- endif %}

),

sessions as (

    select * from {{ ref('fct_sessions') }}
    {%- if is_incremental() %}
    where {{ on_days('session_start', days) }}
        -- implied by the days; one range even when the days are several, so the scan skips row groups
        and {{ within_span('session_start', bounds) }}
    {%- endif %}

),

categories as (

    select * from {{ ref('dim_categories') }}

),

-- grouped on the session key before the join to sessions: the join then sees ~1.3 rows a session
session_categories as (

    select
        events.session_key,
        coalesce(categories.level_1, 'unknown') as category_level_1,
        count(*) as events,
        -- bool_or and NULL-skipping aggregates: about twice as fast as max/sum over CASE ... ELSE 0 here
        {{ dbt.bool_or("events.event_type = 'view'") }} as has_view,
        {{ dbt.bool_or("events.event_type = 'cart'") }} as has_cart,
        {{ dbt.bool_or("events.event_type = 'purchase'") }} as has_purchase,
        count(case when events.event_type = 'purchase' then 1 end) as purchases,
        coalesce(sum(case when events.event_type = 'purchase' then events.price end), 0) as revenue

    from events
    left join categories
        on events.category_id = categories.category_id
    group by events.session_key, coalesce(categories.level_1, 'unknown')

),

final as (

    select
        {{ session_date }} as session_date,
        session_categories.category_level_1,
        sessions.user_id,
        cast(session_categories.events as {{ dbt.type_bigint() }}) as events,
        session_categories.has_view,
        session_categories.has_cart,
        session_categories.has_purchase,
        cast(session_categories.purchases as {{ dbt.type_bigint() }}) as purchases,
        session_categories.revenue,
        {{ build_stamp() }} as built_at

    from session_categories
    inner join sessions
        on session_categories.session_key = sessions.session_key

)

select * from final
