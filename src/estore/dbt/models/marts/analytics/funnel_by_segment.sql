{#-
    The session funnel per current RFM segment of the session's user (dashboard_sessions_daily
    holds its counts per day and segment; summed over days). Users who never bought have no RFM
    segment and are kept as 'Prospects', so the segments add up to funnel_daily (a buyer no rule
    of var rfm_segments matches is 'Unsegmented'; never with the default rules).
-#}
with

sessions_by_day_and_segment as (

    select * from {{ ref('dashboard_sessions_daily') }}

),

final as (

    select
        segment,
        {{ funnel_measures_from_counts() }},
        sum(revenue) as revenue

    from sessions_by_day_and_segment
    group by segment

)

select * from final
