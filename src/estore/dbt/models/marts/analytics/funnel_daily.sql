{#- The session funnel per day: a session counts on the date it starts (dashboard_sessions_daily
    holds its counts per day and segment; summed over segments). -#}
with

sessions_by_day_and_segment as (

    select * from {{ ref('dashboard_sessions_daily') }}

),

final as (

    select
        session_date,
        {{ funnel_measures_from_counts() }},
        sum(revenue) as revenue

    from sessions_by_day_and_segment
    group by session_date

)

select * from final
