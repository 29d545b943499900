{#-
    One row per product. A product seen under several brands keeps its rows in fct_events as
    they are; here it gets one canonical brand: the brand on most of its events, ties broken
    alphabetically (deterministic, and the majority label is the likeliest correct one).
    category and price are those of the product's latest event.
-#}
with

events as (

    select * from {{ ref('fct_events') }}

),

brand_counts as (

    select
        product_id,
        brand,
        count(*) as events

    from events
    where brand is not null
    group by product_id, brand

),

ranked_brands as (

    select
        product_id,
        brand,
        row_number() over (partition by product_id order by events desc, brand) as brand_rank

    from brand_counts

),

canonical_brands as (

    select product_id, brand from ranked_brands
    where brand_rank = 1

),

brand_variety as (

    select
        product_id,
        count(*) as n_brands_seen

    from brand_counts
    group by product_id

),

product_activity as (

    select
        product_id,
        {{ last_value_by('category_id', 'event_time') }} as category_id,
        {{ last_value_by('category_code', 'event_time') }} as category_code,
        {{ last_value_by('price', 'event_time') }} as price,
        sum(case when event_type = 'view' then 1 else 0 end) as views,
        sum(case when event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

    from events
    group by product_id

),

final as (

    select
        product_activity.product_id,
        canonical_brands.brand,
        product_activity.category_id,
        product_activity.category_code,
        product_activity.price,
        product_activity.views,
        product_activity.carts,
        product_activity.purchases,
        product_activity.revenue,
        coalesce(brand_variety.n_brands_seen, 0) as n_brands_seen

    from product_activity
    left join canonical_brands
        on product_activity.product_id = canonical_brands.product_id
    left join brand_variety
        on product_activity.product_id = brand_variety.product_id

)

select * from final
