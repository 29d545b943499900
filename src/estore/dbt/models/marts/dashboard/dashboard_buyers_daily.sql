{#-
    One row per buyer, day and top-level category they bought in: the purchasing sessions
    (orders) that started that day with a purchase in the category, their purchase events and
    revenue there. Distinct buyers over any date range, category and segment are a count of
    distinct user_id here (daily buyer counts cannot be summed), and the customer lists of the
    dashboard keep the customers who bought in the selected period and category. Revenue adds up
    over rows; orders add up over days of one category (a session buying in two categories counts
    in both). Purchase events only: about 2% of the events.
-#}
with

events as (

    select * from {{ ref('fct_events') }}
    where event_type = 'purchase'

),

-- purchase events lie in purchasing sessions only: a much smaller join
sessions as (

    select * from {{ ref('fct_sessions') }}
    where is_purchase_session

),

categories as (

    select * from {{ ref('dim_categories') }}

),

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

purchases as (

    select
        cast(sessions.session_start as date) as session_date,
        events.user_id,
        coalesce(categories.level_1, 'unknown') as category_level_1,
        events.session_key,
        events.price

    from events
    inner join sessions
        on events.session_key = sessions.session_key
    left join categories
        on events.category_id = categories.category_id

),

by_buyer_day as (

    select
        session_date,
        user_id,
        category_level_1,
        count(distinct session_key) as orders,
        count(*) as purchases,
        sum(price) as revenue

    from purchases
    group by session_date, user_id, category_level_1

),

final as (

    select
        by_buyer_day.session_date,
        by_buyer_day.user_id,
        by_buyer_day.category_level_1,
        {{ user_segment('rfm') }} as segment,
        cast(by_buyer_day.orders as {{ dbt.type_bigint() }}) as orders,
        cast(by_buyer_day.purchases as {{ dbt.type_bigint() }}) as purchases,
        by_buyer_day.revenue

    from by_buyer_day
    left join rfm
        on by_buyer_day.user_id = rfm.user_id

)

select * from final
