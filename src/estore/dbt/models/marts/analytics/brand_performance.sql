{#-
    Per canonical brand (dim_products.brand of the event's product, 'unknown' when the product
    has none): revenue, purchases, buyers, views, carts, the sessions touching it and how many
    of them bought it. Session and event measures are summed over the days of
    int_session_groups_by_day; products and buyers come from the products and purchases.
-#}
with

products as (

    select * from {{ ref('dim_products') }}

),

purchases as (

    select product_id, user_id from {{ ref('fct_events') }}
    where event_type = 'purchase'

),

by_brand as (

    {{ sum_group_days('brand', 'brand') }}

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
        {{ group_performance_measures('by_brand', 'buyers_by_brand') }}

    from by_brand
    inner join products_by_brand
        on by_brand.brand = products_by_brand.brand
    left join buyers_by_brand
        on by_brand.brand = buyers_by_brand.brand

)

select * from final
