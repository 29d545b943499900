{#-
    Per canonical brand (dim_products.brand of the event's product, 'unknown' when the product
    has none): revenue, purchases, buyers, views, carts, the sessions touching it and how many
    of them bought it. Session and event measures are summed over the months of
    int_session_groups_by_month; products and buyers come from the products and purchases.
-#}
with

brand_months as (

    select * from {{ ref('int_session_groups_by_month') }}
    where dimension = 'brand'

),

products as (

    select * from {{ ref('dim_products') }}

),

purchases as (

    select product_id, user_id from {{ ref('fct_events') }}
    where event_type = 'purchase'

),

by_brand as (

    select
        group_value as brand,
        sum(revenue) as revenue,
        sum(purchases) as purchases,
        sum(views) as views,
        sum(carts) as carts,
        sum(sessions) as sessions,
        sum(sessions_with_purchase) as purchase_sessions

    from brand_months
    group by group_value

),

products_by_brand as (

    select
        coalesce(brand, 'unknown') as brand,
        count(*) as products

    from products
    group by coalesce(brand, 'unknown')

),

buyers_by_brand as (

    select
        coalesce(products.brand, 'unknown') as brand,
        count(distinct purchases.user_id) as buyers

    from purchases
    left join products
        on purchases.product_id = products.product_id
    group by coalesce(products.brand, 'unknown')

),

final as (

    select
        by_brand.brand,
        cast(products_by_brand.products as {{ dbt.type_bigint() }}) as products,
        by_brand.revenue,
        cast(by_brand.purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(coalesce(buyers_by_brand.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(by_brand.views as {{ dbt.type_bigint() }}) as views,
        cast(by_brand.carts as {{ dbt.type_bigint() }}) as carts,
        cast(by_brand.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(by_brand.purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(by_brand.purchase_sessions as {{ type_double() }}) / by_brand.sessions as conversion_rate,
        cast(by_brand.views as {{ type_double() }}) / by_brand.sessions as views_per_session,
        cast(by_brand.revenue as {{ type_double() }}) / nullif(sum(by_brand.revenue) over (), 0) as revenue_share

    from by_brand
    inner join products_by_brand
        on by_brand.brand = products_by_brand.brand
    left join buyers_by_brand
        on by_brand.brand = buyers_by_brand.brand

)

select * from final
