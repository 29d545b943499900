{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['kind', 'id'],
        on_schema_change='fail',
    )
}}

{#-
    The group every product and category is reported under, and the build that last changed it:
    kind 'brand' maps a product_id to its canonical brand (dim_products), kind 'category_code'
    a category_id to its code (dim_categories). Both can change when new events arrive (a new
    majority brand, a newer code), which moves old events to another group:
    int_session_groups_by_month uses changed_at to recompute the months holding such events.
    Incremental: a build writes only new ids and ids whose group changed; first_seen_at keeps
    the build that first saw the id.
-#}

with

current_groups as (

    select 'brand' as kind, product_id as id, coalesce(brand, 'unknown') as group_value
    from {{ ref('dim_products') }}

    union all

    select 'category_code' as kind, category_id as id, coalesce(category_code, 'unknown') as group_value
    from {{ ref('dim_categories') }}

),

final as (

    select
        current_groups.kind,
        current_groups.id,
        current_groups.group_value,
        {%- if is_incremental() %}
        coalesce(known.first_seen_at, {{ build_stamp() }}) as first_seen_at,
        {%- else %}
        {{ build_stamp() }} as first_seen_at,
        {%- endif %}
        {{ build_stamp() }} as changed_at

    from current_groups
    {%- if is_incremental() %}
    left join {{ this }} as known
        on current_groups.kind = known.kind
        and current_groups.id = known.id
    where known.id is null
        or current_groups.group_value <> known.group_value
    {%- endif %}

)

select * from final
