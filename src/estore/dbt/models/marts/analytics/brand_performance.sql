{#-
    Per canonical brand (dim_products.brand of the event's product, 'unknown' when the product
    has none): revenue, purchases, buyers, views, carts, the sessions touching it and how many
    of them bought it.
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
        coalesce(products.brand, 'unknown') as brand,
        events.product_id,
        events.session_key,
        events.user_id,
        events.event_type,
        events.price

    from events
    left join products
        on events.product_id = products.product_id

),

by_brand as (

    select
        brand,
        count(distinct product_id) as products,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue,
        count(case when event_type = 'purchase' then 1 end) as purchases,
        count(distinct case when event_type = 'purchase' then user_id end) as buyers,
        count(case when event_type = 'view' then 1 end) as views,
        count(case when event_type = 'cart' then 1 end) as carts,
        count(distinct session_key) as sessions,
        count(distinct case when event_type = 'purchase' then session_key end) as purchase_sessions

    from branded_events
    group by brand

),

final as (

    select
        brand,
        cast(products as {{ dbt.type_bigint() }}) as products,
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

    from by_brand

)

select * from final
