with

events as (

    select * from {{ ref('fct_events') }}

),

category_activity as (

    select
        category_id,
        {{ last_value_by('category_code', 'event_time') }} as category_code,
        count(*) as events,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue

    from events
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
