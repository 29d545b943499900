{#- The session funnel per day: a session counts on the date it starts. -#}
with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

session_stages as (

    select
        cast(session_start as date) as event_date,
        views > 0 as has_view,
        carts > 0 as has_cart,
        purchases > 0 as has_purchase,
        revenue

    from sessions

),

final as (

    select
        event_date,
        {{ funnel_measures() }},
        sum(revenue) as revenue

    from session_stages
    group by event_date

)

select * from final
