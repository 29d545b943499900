{#-
    Per category code (dim_categories.category_code of the event's category_id, 'unknown' when
    empty): revenue, purchases, buyers, views, carts, the sessions touching it and how many of
    them bought in it. Session and event measures are summed over the months of
    int_session_groups_by_month; buyers come from the purchases.
-#}
with

category_months as (

    select * from {{ ref('int_session_groups_by_month') }}
    where dimension = 'category_code'

),

categories as (

    select * from {{ ref('dim_categories') }}

),

purchases as (

    select category_id, user_id from {{ ref('fct_events') }}
    where event_type = 'purchase'

),

by_category as (

    select
        group_value as category_code,
        sum(revenue) as revenue,
        sum(purchases) as purchases,
        sum(views) as views,
        sum(carts) as carts,
        sum(sessions) as sessions,
        sum(sessions_with_purchase) as purchase_sessions

    from category_months
    group by group_value

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
        by_category.revenue,
        cast(by_category.purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(coalesce(buyers_by_category.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(by_category.views as {{ dbt.type_bigint() }}) as views,
        cast(by_category.carts as {{ dbt.type_bigint() }}) as carts,
        cast(by_category.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(by_category.purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(by_category.purchase_sessions as {{ type_double() }}) / by_category.sessions as conversion_rate,
        cast(by_category.views as {{ type_double() }}) / by_category.sessions as views_per_session,
        cast(by_category.revenue as {{ type_double() }}) / nullif(sum(by_category.revenue) over (), 0)
            as revenue_share

    from by_category
    inner join level_1_by_category
        on by_category.category_code = level_1_by_category.category_code
    left join buyers_by_category
        on by_category.category_code = buyers_by_category.category_code

)

select * from final
