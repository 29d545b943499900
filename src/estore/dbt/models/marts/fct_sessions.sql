{#-
    A full table, rebuilt from fct_events on every build: one hash aggregate over fct_events, so
    it is always consistent with fct_events.session_key (the expensive sessionization window
    runs incrementally in fct_events).
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

sessions as (

    select
        session_key,
        min(user_session) as user_session,
        min(user_id) as user_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as events,
        sum(case when event_type = 'view' then 1 else 0 end) as views,
        sum(case when event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

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
        purchases > 0 as is_purchase_session

    from sessions

)

select * from final
