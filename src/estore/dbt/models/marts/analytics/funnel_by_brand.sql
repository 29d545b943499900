{#-
    The session funnel per canonical brand (dim_products.brand, 'unknown' when the product has
    none). A session counts once for every brand it has an event in; its stages there are those
    of its events on that brand's products only.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

products as (

    select * from {{ ref('dim_products') }}

),

branded_events as (

    select
        events.session_key,
        coalesce(products.brand, 'unknown') as brand,
        events.event_type,
        events.price

    from events
    left join products
        on events.product_id = products.product_id

),

session_brands as (

    select
        session_key,
        brand,
        max(case when event_type = 'view' then 1 else 0 end) = 1 as has_view,
        max(case when event_type = 'cart' then 1 else 0 end) = 1 as has_cart,
        max(case when event_type = 'purchase' then 1 else 0 end) = 1 as has_purchase,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

    from branded_events
    group by session_key, brand

),

final as (

    select
        brand,
        {{ funnel_measures() }},
        sum(revenue) as revenue

    from session_brands
    group by brand

)

select * from final
