{#-
    The session funnel per day and current RFM segment of the session's user, so the dashboard can
    filter by date range and segment and still add up: a session counts once, on the date it
    starts (as in funnel_daily); users who never bought are 'Prospects' (as in funnel_by_segment).
    Orders are purchasing sessions, the definition of dim_users.orders. Used when no category is
    selected; dashboard_category_daily is the same split by top-level category.
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
        cast(sessions.session_start as date) as session_date,
        {{ user_segment('rfm') }} as segment,
        sessions.views > 0 as has_view,
        sessions.carts > 0 as has_cart,
        sessions.purchases > 0 as has_purchase,
        sessions.purchases,
        sessions.revenue

    from sessions
    left join rfm
        on sessions.user_id = rfm.user_id

),

final as (

    select
        session_date,
        segment,
        {{ funnel_session_counts() }},
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue

    from session_stages
    group by session_date, segment

)

select * from final
