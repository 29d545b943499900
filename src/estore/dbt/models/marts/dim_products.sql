{#-
    One row per product. A product seen under several brands keeps its rows in fct_events as
    they are; here it gets one canonical brand: the brand on most of its events, ties broken
    alphabetically (deterministic, and the majority label is the likeliest correct one).
    category and price are those of the product's latest event (ties in time broken by
    event_key, so every build picks the same one); the code is the latest non-null one.
    Summed from int_products_by_load, which keeps the counts of each load.
-#}
with

loads as (

    select * from {{ ref('int_products_by_load') }}

),

brand_counts as (

    select
        product_id,
        brand,
        sum(events) as events

    from loads
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

-- the latest event of a product is the latest of its groups' latest events
product_activity as (

    select
        product_id,
        {{ last_value_by('category_id', 'last_event_at', 'last_event_key') }} as category_id,
        {{ last_value_by('category_code', 'last_event_at', 'last_event_key') }} as category_code,
        {{ last_value_by('last_price', 'last_event_at', 'last_event_key') }} as price,
        cast(sum(views) as {{ dbt.type_bigint() }}) as views,
        cast(sum(carts) as {{ dbt.type_bigint() }}) as carts,
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue

    from loads
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
