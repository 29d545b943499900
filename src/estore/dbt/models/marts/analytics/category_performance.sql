{#-
    Per category code (dim_categories.category_code of the event's category_id, 'unknown' when
    empty): revenue, purchases, buyers, views, carts, the sessions touching it and how many of
    them bought in it.
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
        coalesce(categories.category_code, 'unknown') as category_code,
        coalesce(categories.level_1, 'unknown') as category_level_1,
        events.session_key,
        events.user_id,
        events.event_type,
        events.price

    from events
    left join categories
        on events.category_id = categories.category_id

),

by_category as (

    select
        category_code,
        min(category_level_1) as category_level_1,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue,
        count(case when event_type = 'purchase' then 1 end) as purchases,
        count(distinct case when event_type = 'purchase' then user_id end) as buyers,
        count(case when event_type = 'view' then 1 end) as views,
        count(case when event_type = 'cart' then 1 end) as carts,
        count(distinct session_key) as sessions,
        count(distinct case when event_type = 'purchase' then session_key end) as purchase_sessions

    from categorised_events
    group by category_code

),

final as (

    select
        category_code,
        category_level_1,
        revenue,
        cast(purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(buyers as {{ dbt.type_bigint() }}) as buyers,
        cast(views as {{ dbt.type_bigint() }}) as views,
        cast(carts as {{ dbt.type_bigint() }}) as carts,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(purchase_sessions as {{ type_double() }}) / sessions as conversion_rate,
        cast(views as {{ type_double() }}) / sessions as views_per_session,
        cast(revenue as {{ type_double() }}) / nullif(sum(revenue) over (), 0) as revenue_share

    from by_category

)

select * from final
