{#-
    The session funnel per day, top-level category and current RFM segment: the grain of
    funnel_by_category (session x top-level category: a session counts once in every top-level
    category it has an event in, with the stages of those events only) split by the date the
    session starts and the segment of its user. Rows of different categories do not add up to
    dashboard_sessions_daily (a session touching two categories counts in both); rows of one
    category add up over days and segments. The segments change with every build, so this table
    is regrouped from int_session_categories (kept up to date incrementally) each time.
-#}
with

session_categories as (

    select * from {{ ref('int_session_categories') }}

),

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

segmented as (

    select
        session_categories.session_date,
        session_categories.category_level_1,
        {{ user_segment('rfm') }} as segment,
        session_categories.has_view,
        session_categories.has_cart,
        session_categories.has_purchase,
        session_categories.purchases,
        session_categories.revenue

    from session_categories
    left join rfm
        on session_categories.user_id = rfm.user_id

),

final as (

    select
        session_date,
        category_level_1,
        segment,
        {{ funnel_session_counts() }},
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue

    from segmented
    group by session_date, category_level_1, segment

)

select * from final
