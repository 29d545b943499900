{#-
    The session funnel per canonical brand (dim_products.brand, 'unknown' when the product has
    none). A session counts once for every brand it has an event in; its stages there are those
    of its events on that brand's products only. Summed over the days of
    int_session_groups_by_day.
-#}
with

brand_days as (

    select * from {{ ref('int_session_groups_by_day') }}
    where dimension = 'brand'

),

final as (

    select
        group_value as brand,
        {{ funnel_measures_from_counts() }},
        sum(revenue) as revenue

    from brand_days
    group by group_value

)

select * from final
