{#-
    How buyers moved between RFM segments from one snapshot time to another: the segment of a
    buyer "as of" a time is the snap_user_rfm_segment version valid then
    (dbt_valid_from <= time < dbt_valid_to, or no dbt_valid_to yet).
-#}
{%- set from_date = var('migration_from_date') -%}
{%- set to_date = var('migration_to_date') -%}

with

snapshot as (

    select * from {{ ref('snap_user_rfm_segment') }}

),

snapshot_times as (

    select
        min(dbt_valid_from) as first_valid_from,
        max(dbt_valid_from) as last_valid_from

    from snapshot

),

bounds as (

    select
        {% if from_date -%}
        cast('{{ from_date }}' as {{ dbt.type_timestamp() }}) as from_date,
        {%- else -%}
        first_valid_from as from_date,
        {%- endif %}
        {% if to_date -%}
        cast('{{ to_date }}' as {{ dbt.type_timestamp() }}) as to_date
        {%- else -%}
        last_valid_from as to_date
        {%- endif %}

    from snapshot_times

),

segments_at_from as (

    select
        snapshot.user_id,
        coalesce(snapshot.segment, 'Unsegmented') as segment

    from snapshot
    cross join bounds
    where snapshot.dbt_valid_from <= bounds.from_date
        and (snapshot.dbt_valid_to is null or snapshot.dbt_valid_to > bounds.from_date)

),

segments_at_to as (

    select
        snapshot.user_id,
        coalesce(snapshot.segment, 'Unsegmented') as segment

    from snapshot
    cross join bounds
    where snapshot.dbt_valid_from <= bounds.to_date
        and (snapshot.dbt_valid_to is null or snapshot.dbt_valid_to > bounds.to_date)

),

moves as (

    select
        coalesce(segments_at_from.segment, 'New') as from_segment,
        coalesce(segments_at_to.segment, 'Removed') as to_segment

    from segments_at_from
    full outer join segments_at_to
        on segments_at_from.user_id = segments_at_to.user_id

),

matrix as (

    select
        from_segment,
        to_segment,
        count(*) as customers

    from moves
    group by from_segment, to_segment

),

final as (

    select
        bounds.from_date,
        bounds.to_date,
        matrix.from_segment,
        matrix.to_segment,
        cast(matrix.customers as {{ dbt.type_bigint() }}) as customers,
        cast(matrix.customers as {{ type_double() }})
            / sum(matrix.customers) over (partition by matrix.from_segment) as share_of_from_segment

    from matrix
    cross join bounds

)

select * from final
