{#-
    The session funnel per top-level category (level_1 of the category's code, 'unknown' when
    the code is empty). A session counts once for every top-level category it has an event in;
    its stages there are those of its events in that category only. Summed over the days of
    int_session_groups_by_day.
-#}
with

category_days as (

    select * from {{ ref('int_session_groups_by_day') }}
    where dimension = 'category_level_1'

),

final as (

    select
        group_value as category_level_1,
        {{ funnel_measures_from_counts() }},
        sum(revenue) as revenue

    from category_days
    group by group_value

)

select * from final
