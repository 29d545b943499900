{#- Summed from int_products_by_load, which keeps the counts of each load. -#}
with

loads as (

    select * from {{ ref('int_products_by_load') }}

),

-- the latest code of a category is that of the latest of its groups' latest events
category_activity as (

    select
        category_id,
        {{ last_value_by('category_code', 'last_event_at', 'last_event_key') }} as category_code,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        sum(revenue) as revenue

    from loads
    group by category_id

),

final as (

    select
        category_id,
        category_code,
        nullif({{ dbt.split_part('category_code', "'.'", 1) }}, '') as level_1,
        nullif({{ dbt.split_part('category_code', "'.'", 2) }}, '') as level_2,
        nullif({{ dbt.split_part('category_code', "'.'", 3) }}, '') as level_3,
        nullif({{ dbt.split_part('category_code', "'.'", 4) }}, '') as level_4,
        events,
        revenue

    from category_activity

)

select * from final
