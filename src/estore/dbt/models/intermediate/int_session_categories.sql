{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['user_session', 'user_id'],
        on_schema_change='fail',
        post_hook=[
            "{{ delete_sessions_without_events(ref('fct_events')) }}",
        ],
    )
}}

{#-
    Each session's events per top-level category (the grain of funnel_by_category): the stages
    reached, purchases and revenue of the session's events in that category, with the session's
    user and start date. dashboard_category_daily adds the users' current segments to it, so a
    build does not have to scan every event again for that.
    Incremental as fct_sessions (delete+insert on user_session, user_id): the pairs whose
    fct_events built_at is not yet here are re-aggregated, and so are the pairs with events of a
    category whose code (so maybe its top level) changed since the last build
    (int_group_assignments). Pairs with no event left are deleted by the post-hook.
-#}
-- depends_on: {{ ref('int_group_assignments') }}
{%- set new_built_at = [] -%}
{%- set has_regroups = false -%}
{%- set last_build = "(select max(built_at) from " ~ this ~ ")" -%}
{%- set regrouped_categories -%}
    select id from {{ ref('int_group_assignments') }}
    where kind = 'category_code'
    group by id
    having max(assigned_at) > {{ last_build }} and min(assigned_at) <= {{ last_build }}
{%- endset -%}
{%- if is_incremental() and execute -%}
    {%- set stamps = run_query(
        "select distinct built_at from " ~ ref('fct_events')
        ~ " except select distinct built_at from " ~ this
    ) -%}
    {%- do new_built_at.extend(stamps.columns[0].values()) -%}
    {%- set regrouped = run_query("select count(*) from (" ~ regrouped_categories ~ ") as regrouped") -%}
    {%- set has_regroups = regrouped.columns[0].values()[0] > 0 -%}
{%- endif %}
{%- set new_rows -%}
    {%- if new_built_at %}
    events.built_at in (
        {%- for stamp in new_built_at %}
        cast('{{ stamp }}' as {{ dbt.type_timestamp() }}){{ "," if not loop.last }}
        {%- endfor %}
    )
    {%- else %}
    1 = 0
    {%- endif %}
{%- endset %}

with

events as (

    select * from {{ ref('fct_events') }} as events
    {%- if is_incremental() %}
    -- a literal list, so the scan skips row groups written by earlier builds
    where {{ new_rows }}
    {%- if has_regroups %}

    union all

    -- every event of the pairs with an event of a regrouped category
    select events.*
    from {{ ref('fct_events') }} as events
    inner join (
        select distinct user_session, user_id
        from {{ ref('fct_events') }}
        where category_id in ({{ regrouped_categories }})
    ) as regrouped_pairs
        on events.user_session = regrouped_pairs.user_session
        and events.user_id = regrouped_pairs.user_id
    where not ({{ new_rows }})
    {%- endif %}
    {%- endif %}

),

-- aggregated before the join with fct_sessions: a third as many rows to join, and no string min()
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
        coalesce(sum(case when events.event_type = 'purchase' then events.price end), 0) as revenue,
        max(events.built_at) as built_at

    from events
    left join {{ ref('dim_categories') }} as categories
        on events.category_id = categories.category_id
    group by events.session_key, coalesce(categories.level_1, 'unknown')

),

final as (

    select
        session_categories.session_key,
        sessions.user_session,
        sessions.user_id,
        cast(sessions.session_start as date) as session_date,
        session_categories.category_level_1,
        session_categories.events,
        session_categories.has_view,
        session_categories.has_cart,
        session_categories.has_purchase,
        session_categories.purchases,
        session_categories.revenue,
        session_categories.built_at

    from session_categories
    inner join {{ ref('fct_sessions') }} as sessions
        on session_categories.session_key = sessions.session_key

)

select * from final
