{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

{#-
    Every group each product and category has been reported under, from the build that assigned
    it: kind 'brand' maps a product_id to its canonical brand (dim_products), kind 'category_code'
    a category_id to its code (dim_categories). Both can change when new events arrive (a new
    majority brand, a newer code), which moves old events to another group.
    Append-only: a build adds a row for each new id and each id whose group changed. So
    int_session_groups_by_day can tell which groups its last build counted an id under, even
    if builds failed in between, and recompute just those groups and the id's new one.
-#}

with

current_groups as (

    select 'brand' as kind, product_id as id, coalesce(brand, 'unknown') as group_value
    from {{ ref('dim_products') }}

    union all

    select 'category_code' as kind, category_id as id, coalesce(category_code, 'unknown') as group_value
    from {{ ref('dim_categories') }}

),

{% if is_incremental() %}
latest as (

    select
        kind,
        id,
        group_value

    from (
        select
            kind,
            id,
            group_value,
            row_number() over (partition by kind, id order by assigned_at desc) as recency
        from {{ this }}
    ) as assignments
    where recency = 1

),

{% endif %}
final as (

    select
        current_groups.kind,
        current_groups.id,
        current_groups.group_value,
        {{ build_stamp() }} as assigned_at

    from current_groups
    {%- if is_incremental() %}
    left join latest
        on current_groups.kind = latest.kind
        and current_groups.id = latest.id
    where latest.id is null
        or current_groups.group_value <> latest.group_value
    {%- endif %}

)

select * from final
