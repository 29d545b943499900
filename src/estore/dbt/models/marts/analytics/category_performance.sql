{#-
    Per category code (dim_categories.category_code of the event's category_id, 'unknown' when
    empty): revenue, purchases, buyers, views, carts, the sessions touching it and how many of
    them bought in it. Session and event measures are summed over the days of
    int_session_groups_by_day; buyers come from the purchases.
-#}
with

categories as (

    select * from {{ ref('dim_categories') }}

),

purchases as (

    select category_id, user_id from {{ ref('fct_events') }}
    where event_type = 'purchase'

),

by_category as (

    {{ sum_group_days('category_code', 'category_code') }}

),

level_1_by_category as (

    select
        coalesce(category_code, 'unknown') as category_code,
        min(coalesce(level_1, 'unknown')) as category_level_1

    from categories
    group by coalesce(category_code, 'unknown')

),

buyers_by_category as (

    select
        coalesce(categories.category_code, 'unknown') as category_code,
        count(distinct purchases.user_id) as buyers

    from purchases
    left join categories
        on purchases.category_id = categories.category_id
    group by coalesce(categories.category_code, 'unknown')

),

final as (

    select
        by_category.category_code,
        level_1_by_category.category_level_1,
        {{ group_performance_measures('by_category', 'buyers_by_category') }}

    from by_category
    inner join level_1_by_category
        on by_category.category_code = level_1_by_category.category_code
    left join buyers_by_category
        on by_category.category_code = buyers_by_category.category_code

)

select * from final
