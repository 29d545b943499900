{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_month',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where session_month not in (
                select distinct cast({{ dbt.date_trunc('month', 'session_start') }} as date)
                from {{ ref('fct_sessions') }})",
        ],
    )
}}

{#-
    Sessions per month (of the session's start) and group, with the event counts and funnel stage
    counts of each session's events in that group. dimension is 'all' (group_value 'all': every
    session), 'brand' (canonical brand), 'category_code' or 'category_level_1'; missing values are
    'unknown'. A session counts once in every group it has an event in, with the stages of its
    events there. Every measure adds up over months, since a session starts in one month: the
    brand and category marts sum this table instead of scanning every event.

    Incremental by month (delete+insert on session_month): a build recomputes only the months
    that changed since the last one, i.e. months with a session that fct_sessions rewrote
    (built_at newer than this table's), months whose session count changed (sessions deleted),
    and months holding events of a product or category whose group changed
    (int_group_assignments). Months left without sessions are deleted by the post-hook.
-#}
-- depends_on: {{ ref('int_group_assignments') }}
{#- dimension -> (the expression of its group, the dimension table joined for it) -#}
{%- set dimensions = {
    'brand': ("coalesce(products.brand, 'unknown')", 'products'),
    'category_code': ("coalesce(categories.category_code, 'unknown')", 'categories'),
    'category_level_1': ("coalesce(categories.level_1, 'unknown')", 'categories'),
} -%}
{%- set joins = {
    'products': ('dim_products', 'product_id'),
    'categories': ('dim_categories', 'category_id'),
} -%}
{%- set session_month = "cast(" ~ dbt.date_trunc('month', 'session_start') ~ " as date)" -%}
{%- set months = [] -%}
{%- set bounds = {} -%}
{%- if is_incremental() and execute -%}
    {%- set last_build = "(select max(built_at) from " ~ this ~ ")" -%}
    {%- set sessions = "select session_key, " ~ session_month ~ " as session_month, built_at from " ~ ref('fct_sessions') -%}
    {#- months with sessions fct_sessions rewrote since the last build, or with fewer or more sessions -#}
    {%- set changed_months = run_query(
        "with current_months as (
            select session_month, count(*) as sessions, max(built_at) as built_at
            from (" ~ sessions ~ ") as sessions group by session_month
        ),
        stored_months as (
            select session_month, sessions from " ~ this ~ " where dimension = 'all'
        )
        select current_months.session_month
        from current_months
        left join stored_months on current_months.session_month = stored_months.session_month
        where stored_months.sessions is null
            or stored_months.sessions <> current_months.sessions
            or current_months.built_at > " ~ last_build
    ) -%}
    {#- months holding events of products or categories that moved to another group (rare) -#}
    {%- set regrouped = "select kind, id from " ~ ref('int_group_assignments')
        ~ " where changed_at > " ~ last_build ~ " and first_seen_at <= " ~ last_build -%}
    {%- if run_query("select count(*) from (" ~ regrouped ~ ") as regrouped").columns[0].values()[0] > 0 -%}
        {%- set regrouped_months = run_query(
            "select distinct sessions.session_month
            from " ~ ref('fct_events') ~ " as events
            inner join (" ~ sessions ~ ") as sessions on events.session_key = sessions.session_key
            where events.product_id in (select id from (" ~ regrouped ~ ") as r where kind = 'brand')
                or events.category_id in (select id from (" ~ regrouped ~ ") as r where kind = 'category_code')"
        ) -%}
        {%- for month in regrouped_months.columns[0].values() -%}
            {%- do months.append(month) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for month in changed_months.columns[0].values() if month not in months -%}
        {%- do months.append(month) -%}
    {%- endfor -%}
    {%- if months -%}
        {%- set span = run_query(
            "select min(session_start), max(session_end) from " ~ ref('fct_sessions')
            ~ " where " ~ session_month ~ " in ("
            ~ ("cast('" ~ months | join("' as date), cast('") ~ "' as date)")
            ~ ")"
        ) -%}
        {%- do bounds.update({'from': span.columns[0].values()[0], 'to': span.columns[1].values()[0]}) -%}
    {%- endif -%}
{%- endif %}

with

sessions as (

    select
        session_key,
        {{ session_month }} as session_month,
        views,
        carts,
        purchases,
        revenue

    from {{ ref('fct_sessions') }}
    {%- if is_incremental() %}
    where
        {%- if months %}
        {{ session_month }} in (
            {%- for month in months %}
            cast('{{ month }}' as date){{ "," if not loop.last }}
            {%- endfor %}
        )
        {%- else %}
        1 = 0
        {%- endif %}
    {%- endif %}

),

events as (

    select
        sessions.session_month,
        events.session_key,
        events.product_id,
        events.category_id,
        events.event_type,
        events.price

    from {{ ref('fct_events') }} as events
    inner join sessions
        on events.session_key = sessions.session_key
    {%- if is_incremental() %}
    -- literal bounds, so the scan skips row groups of other months
    where
        {%- if months %}
        events.event_time >= cast('{{ bounds.from }}' as {{ dbt.type_timestamp() }})
        and events.event_time <= cast('{{ bounds.to }}' as {{ dbt.type_timestamp() }})
        {%- else %}
        1 = 0
        {%- endif %}
    {%- endif %}

),

-- dimension 'all': fct_sessions already holds each session's counts
sessions_by_all as (

    select
        session_month,
        session_key,
        'all' as dimension,
        'all' as group_value,
        views,
        carts,
        purchases,
        revenue

    from sessions

),

{% for dimension, spec in dimensions.items() %}
{%- set expression, joined = spec %}
{%- set model, key = joins[joined] %}
sessions_by_{{ dimension }} as (

    select
        events.session_month,
        events.session_key,
        '{{ dimension }}' as dimension,
        {{ expression }} as group_value,
        sum(case when events.event_type = 'view' then 1 else 0 end) as views,
        sum(case when events.event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when events.event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when events.event_type = 'purchase' then events.price else 0 end) as revenue

    from events
    left join {{ ref(model) }} as {{ joined }}
        on events.{{ key }} = {{ joined }}.{{ key }}
    group by events.session_month, events.session_key, {{ expression }}

),

{% endfor %}
session_groups as (

    select * from sessions_by_all
    {%- for dimension in dimensions %}
    union all
    select * from sessions_by_{{ dimension }}
    {%- endfor %}

),

staged as (

    select
        *,
        views > 0 as has_view,
        carts > 0 as has_cart,
        purchases > 0 as has_purchase

    from session_groups

),

final as (

    select
        session_month,
        dimension,
        group_value,
        cast(sum(views) as {{ dbt.type_bigint() }}) as views,
        cast(sum(carts) as {{ dbt.type_bigint() }}) as carts,
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue,
        {{ funnel_session_counts() }},
        {{ build_stamp() }} as built_at

    from staged
    group by session_month, dimension, group_value

)

select * from final
