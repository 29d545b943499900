{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['session_date', 'dimension', 'group_value'],
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where sessions = 0 or session_date not in (
                select distinct cast(session_start as date)
                from {{ ref('fct_sessions') }})",
        ],
    )
}}

{#-
    Sessions per day (of the session's start) and group, with the event counts and funnel stage
    counts of each session's events in that group. dimension is 'all' (group_value 'all': every
    session), 'brand' (canonical brand), 'category_code' or 'category_level_1'; missing values are
    'unknown'. A session counts once in every group it has an event in, with the stages of its
    events there. Every measure adds up over days, since a session starts on one day: the
    brand and category marts sum this table instead of scanning every event.

    Incremental, by day and by group (delete+insert on the three keys). A build recomputes
    - every group of the days that changed since the last build: days with a session that
      fct_sessions rewrote (built_at newer than this table's) and days whose session count
      changed (sessions deleted);
    - in the other days, only the keys of the groups that products or categories left or
      joined since the last build (int_group_assignments: a new majority brand, a newer code),
      and only by the change of the sessions with an event of such an id: each of those sessions
      is counted out of the groups the last build counted it under and into its groups now, and
      the stored keys are summed with that change (every measure adds up over sessions).
    A recomputed key that no longer has sessions is written with sessions = 0 and deleted by the
    post-hook, as are days left without sessions.
-#}
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
{%- set assignments = ref('int_group_assignments') -%}
{%- set session_date = "cast(session_start as date)" -%}
{%- set last_build = "(select max(built_at) from " ~ this ~ ")" -%}
{%- set regrouped_ids = regrouped_ids_query(last_build) -%}
{%- set days = [] -%}
{%- set bounds = {} -%}
{%- set regrouped_products = [] -%}
{%- set regrouped_categories = [] -%}
{%- if is_incremental() and execute -%}
    {%- set sessions = "select " ~ session_date ~ " as session_date, built_at from " ~ ref('fct_sessions') -%}
    {#- days with sessions fct_sessions rewrote since the last build, or with fewer or more
        sessions; every day if the assignment history was rebuilt since (it cannot tell then
        what moved) -#}
    {%- set changed_days = run_query(
        "with current_days as (
            select session_date, count(*) as sessions, max(built_at) as built_at
            from (" ~ sessions ~ ") as sessions group by session_date
        ),
        stored_days as (
            select session_date, sessions from " ~ this ~ " where dimension = 'all'
        )
        select current_days.session_date
        from current_days
        left join stored_days on current_days.session_date = stored_days.session_date
        where stored_days.sessions is null
            or stored_days.sessions <> current_days.sessions
            or current_days.built_at > " ~ last_build ~ "
            or (select min(assigned_at) from " ~ assignments ~ ") > " ~ last_build
    ) -%}
    {%- do days.extend(changed_days.columns[0].values()) -%}
    {%- do bounds.update(sessions_span(days)) -%}
    {%- for kind, id in run_query(regrouped_ids).rows -%}
        {%- do (regrouped_products if kind == 'brand' else regrouped_categories).append(id) -%}
    {%- endfor -%}
{%- endif -%}
{%- set on_changed_days = on_days('session_start', days) -%}
{%- set measures = ['views', 'carts', 'purchases', 'revenue', 'sessions', 'sessions_with_view',
                    'sessions_with_cart', 'sessions_with_purchase', 'abandoned_cart_sessions',
                    'view_and_cart_sessions', 'cart_and_purchase_sessions', 'view_and_purchase_sessions'] %}

with

-- numbered: the per-session aggregates below group on this integer, not the 32-character key
sessions as (

    select
        session_key,
        row_number() over () as session_number,
        {{ session_date }} as session_date,
        views,
        carts,
        purchases,
        revenue

    from {{ ref('fct_sessions') }}
    {%- if is_incremental() %}
    where {{ on_changed_days }}
        -- implied by the days; one range even when the days are several, so the scan skips row groups
        and {{ within_span('session_start', bounds) }}
    {%- endif %}

),

events as (

    select
        sessions.session_date,
        sessions.session_number,
        events.product_id,
        events.category_id,
        events.event_type,
        events.price

    from {{ ref('fct_events') }} as events
    inner join sessions
        on events.session_key = sessions.session_key
    {%- if is_incremental() %}
    -- literal bounds, so the scan skips row groups of other days
    where {{ within_span('events.event_time', bounds) }}
    {%- endif %}

),

-- dimension 'all': fct_sessions already holds each session's counts
sessions_by_all as (

    select
        session_date,
        session_number,
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
        events.session_date,
        events.session_number,
        '{{ dimension }}' as dimension,
        {{ expression }} as group_value,
        sum(case when events.event_type = 'view' then 1 else 0 end) as views,
        sum(case when events.event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when events.event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when events.event_type = 'purchase' then events.price else 0 end) as revenue

    from events
    left join {{ ref(model) }} as {{ joined }}
        on events.{{ key }} = {{ joined }}.{{ key }}
    group by events.session_date, events.session_number, {{ expression }}

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

computed as (

    select
        session_date,
        dimension,
        group_value,
        cast(sum(views) as {{ dbt.type_bigint() }}) as views,
        cast(sum(carts) as {{ dbt.type_bigint() }}) as carts,
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue,
        {{ funnel_session_counts() }},
        {{ build_stamp() }} as built_at

    from staged
    group by session_date, dimension, group_value

),

{% if is_incremental() %}
-- keys this build recomputes that have no sessions any more: written as zeros (typed as in
-- computed, whose columns are null here), then deleted by the post-hook
recomputed_keys as (

    select session_date, dimension, group_value
    from {{ this }}
    where {{ in_literals('session_date', days, 'date') }}

),

emptied as (

    select
        recomputed_keys.session_date,
        recomputed_keys.dimension,
        recomputed_keys.group_value,
        {%- for column in measures %}
        coalesce(computed.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        {{ build_stamp() }} as built_at

    from recomputed_keys
    left join computed
        on recomputed_keys.session_date = computed.session_date
        and recomputed_keys.dimension = computed.dimension
        and recomputed_keys.group_value = computed.group_value
    where computed.session_date is null

),

{% if regrouped_products or regrouped_categories %}
-- In the other days only the sessions with an event of a regrouped product or category change
-- groups. Their events, each with the groups the last build counted it under (then) and its
-- groups now: an id not regrouped has the same group in both.
regrouped_ids as (

    {{ regrouped_ids }}

),

-- the group the last build counted each regrouped id under
counted_groups as (

    select kind, id, group_value
    from (
        select
            assignments.kind,
            assignments.id,
            assignments.group_value,
            row_number() over (
                partition by assignments.kind, assignments.id order by assignments.assigned_at desc
            ) as recency

        from {{ assignments }} as assignments
        inner join regrouped_ids
            on assignments.kind = regrouped_ids.kind
            and assignments.id = regrouped_ids.id
        where assignments.assigned_at <= {{ last_build }}
    ) as counted
    where recency = 1

),

-- the sessions with an event of a regrouped product or category (ids as literal lists)
regrouped_session_keys as (

    select distinct session_key
    from {{ ref('fct_events') }}
    where
    {%- if regrouped_products %} product_id in ({{ regrouped_products | join(', ') }}){% endif %}
    {%- if regrouped_products and regrouped_categories %} or{% endif %}
    {%- if regrouped_categories %} category_id in ({{ regrouped_categories | join(', ') }}){% endif %}

),

-- their events, each with its session's start (fct_sessions' session_start: its first event)
regrouped_session_events as (

    select
        events.session_key,
        events.product_id,
        events.category_id,
        events.event_type,
        events.price,
        min(events.event_time) over (partition by events.session_key) as session_start

    from {{ ref('fct_events') }} as events
    inner join regrouped_session_keys
        on events.session_key = regrouped_session_keys.session_key

),

regrouped_events as (

    select
        {{ session_date }} as session_date,
        events.session_key,
        events.event_type,
        events.price,
        coalesce(counted_brands.group_value, products.brand, 'unknown') as brand_then,
        coalesce(products.brand, 'unknown') as brand_now,
        coalesce(counted_codes.group_value, categories.category_code, 'unknown') as category_code_then,
        coalesce(categories.category_code, 'unknown') as category_code_now

    from regrouped_session_events as events
    left join {{ ref('dim_products') }} as products
        on events.product_id = products.product_id
    left join counted_groups as counted_brands
        on counted_brands.kind = 'brand'
        and events.product_id = counted_brands.id
    left join {{ ref('dim_categories') }} as categories
        on events.category_id = categories.category_id
    left join counted_groups as counted_codes
        on counted_codes.kind = 'category_code'
        and events.category_id = counted_codes.id
    -- the days recomputed whole above already count them as they are now
    where not ({{ on_changed_days }})

),

-- each of those sessions in each group, counted out (sign -1) of the groups then and in (+1)
-- to the groups now
{%- set signed_groups = [] %}
{%- for version, sign in [('then', -1), ('now', 1)] %}
    {%- for dimension in dimensions %}
        {%- do signed_groups.append((version, sign, dimension)) %}
    {%- endfor %}
{%- endfor %}
regrouped_session_groups as (
    {%- for version, sign, dimension in signed_groups %}
    {%- set group = 'brand_' ~ version if dimension == 'brand' else 'category_code_' ~ version %}
    {%- if dimension == 'category_level_1' %}
        {%- set group = "coalesce(nullif(" ~ dbt.split_part(group, "'.'", 1) ~ ", ''), 'unknown')" %}
    {%- endif %}

    select
        session_date,
        session_key,
        '{{ dimension }}' as dimension,
        {{ group }} as group_value,
        {{ sign }} as sign,
        sum(case when event_type = 'view' then 1 else 0 end) as views,
        sum(case when event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

    from regrouped_events
    group by session_date, session_key, {{ group }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

-- the change of each key, where there is one (only in groups a regrouped id left or joined)
regrouped_changes as (

    select *
    from (
        select
            session_date,
            dimension,
            group_value,
            sum(sign * views) as views,
            sum(sign * carts) as carts,
            sum(sign * purchases) as purchases,
            sum(sign * revenue) as revenue,
            {{ funnel_session_counts(weight='sign') }}

        from (
            select
                *,
                views > 0 as has_view,
                carts > 0 as has_cart,
                purchases > 0 as has_purchase
            from regrouped_session_groups
        ) as changes
        group by session_date, dimension, group_value
    ) as by_key
    where {% for column in measures %}{{ column }} <> 0{% if not loop.last %} or {% endif %}{% endfor %}

),

-- those keys now: their stored values plus the change (zero sessions left: deleted by the post-hook)
regrouped as (

    select
        session_date,
        dimension,
        group_value,
        {%- for column in measures %}
        {%- if column == 'revenue' %}
        sum(revenue) as revenue,
        {%- else %}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
        {%- endif %}
        {%- endfor %}
        {{ build_stamp() }} as built_at

    from (
        select
            stored.session_date,
            stored.dimension,
            stored.group_value,
            {%- for column in measures %}
            stored.{{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}

        from {{ this }} as stored
        inner join regrouped_changes
            on stored.session_date = regrouped_changes.session_date
            and stored.dimension = regrouped_changes.dimension
            and stored.group_value = regrouped_changes.group_value

        union all

        select
            session_date,
            dimension,
            group_value,
            {%- for column in measures %}
            {{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}

        from regrouped_changes
    ) as summed
    group by session_date, dimension, group_value

),

{% endif %}
final as (

    select * from computed
    union all
    select * from emptied
    {%- if regrouped_products or regrouped_categories %}
    union all
    select * from regrouped
    {%- endif %}

)
{% else %}
final as (

    select * from computed

)
{% endif %}

select * from final
