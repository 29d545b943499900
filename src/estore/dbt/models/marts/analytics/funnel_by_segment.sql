{#-
    The session funnel per current RFM segment of the session's user. Users who never bought
    have no RFM segment and are kept as 'Prospects', so the segments add up to funnel_daily
    (a buyer no rule of var rfm_segments matches is 'Unsegmented'; never with the default rules).
-#}
with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

session_stages as (

    select
        {{ user_segment('rfm') }} as segment,
        sessions.views > 0 as has_view,
        sessions.carts > 0 as has_cart,
        sessions.purchases > 0 as has_purchase,
        sessions.revenue

    from sessions
    left join rfm
        on sessions.user_id = rfm.user_id

),

final as (

    select
        segment,
        {{ funnel_measures() }},
        sum(revenue) as revenue

    from session_stages
    group by segment

)

select * from final
