{#-
    The session funnel per day, top-level category and current RFM segment: the grain of
    funnel_by_category (session x top-level category: a session counts once in every top-level
    category it has an event in, with the stages of those events only) split by the date the
    session starts and the segment of its user. Rows of different categories do not add up to
    dashboard_sessions_daily (a session touching two categories counts in both); rows of one
    category add up over days and segments.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

categories as (

    select * from {{ ref('dim_categories') }}

),

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

session_categories as (

    select
        events.session_key,
        coalesce(categories.level_1, 'unknown') as category_level_1,
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

dated as (

    select
        cast(sessions.session_start as date) as session_date,
        session_categories.category_level_1,
        {{ user_segment('rfm') }} as segment,
        session_categories.has_view,
        session_categories.has_cart,
        session_categories.has_purchase,
        session_categories.purchases,
        session_categories.revenue

    from session_categories
    inner join sessions
        on session_categories.session_key = sessions.session_key
    left join rfm
        on sessions.user_id = rfm.user_id

),

final as (

    select
        session_date,
        category_level_1,
        segment,
        {{ funnel_session_counts() }},
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue

    from dated
    group by session_date, category_level_1, segment

)

select * from final
