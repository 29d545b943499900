{#-
    One row per buyer, day and top-level category they bought in: the purchasing sessions
    (orders) that started that day with a purchase in the category, their purchase events and
    revenue there. Distinct buyers over any date range, category and segment are a count of
    distinct user_id here (daily buyer counts cannot be summed), and the customer lists of the
    dashboard keep the customers who bought in the selected period and category. Revenue adds up
    over rows; orders add up over days of one category (a session buying in two categories counts
    in both). Read from the purchasing rows of int_session_categories (session x top-level
    category), which hold each session's purchases and revenue per category.
-#}
with

session_categories as (

    select * from {{ ref('int_session_categories') }}
    where has_purchase

),

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

by_buyer_day as (

    select
        session_date,
        user_id,
        category_level_1,
        count(*) as orders,
        sum(purchases) as purchases,
        sum(revenue) as revenue

    from session_categories
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
