{#-
    The session funnel per top-level category (level_1 of the category's code, 'unknown' when
    the code is empty). A session counts once for every top-level category it has an event in;
    its stages there are those of its events in that category only.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

categories as (

    select * from {{ ref('dim_categories') }}

),

categorised_events as (

    select
        events.session_key,
        coalesce(categories.level_1, 'unknown') as category_level_1,
        events.event_type,
        events.price

    from events
    left join categories
        on events.category_id = categories.category_id

),

session_categories as (

    select
        session_key,
        category_level_1,
        max(case when event_type = 'view' then 1 else 0 end) = 1 as has_view,
        max(case when event_type = 'cart' then 1 else 0 end) = 1 as has_cart,
        max(case when event_type = 'purchase' then 1 else 0 end) = 1 as has_purchase,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

    from categorised_events
    group by session_key, category_level_1

),

final as (

    select
        category_level_1,
        {{ funnel_measures() }},
        sum(revenue) as revenue

    from session_categories
    group by category_level_1

)

select * from final
