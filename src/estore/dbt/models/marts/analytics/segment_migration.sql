{#-
    How buyers moved between RFM segments from one data date to another. Each version of
    snap_user_rfm_segment carries the as-of date of the data of the build that recorded it
    (versions recorded before that column existed: the date of their dbt_valid_from). A buyer's
    segment at a date is their latest version (by dbt_valid_from) recorded at or before it.
-#}
{%- set from_date = var('migration_from_date') -%}
{%- set to_date = var('migration_to_date') -%}

with

versions as (

    select
        user_id,
        coalesce(segment, 'Unsegmented') as segment,
        dbt_valid_from,
        coalesce(as_of_date, cast(dbt_valid_from as date)) as data_date

    from {{ ref('snap_user_rfm_segment') }}

),

snapshot_dates as (

    select
        min(data_date) as first_date,
        max(data_date) as last_date

    from versions

),

bounds as (

    select
        {% if from_date -%}
        cast('{{ from_date }}' as date) as from_date,
        {%- else -%}
        first_date as from_date,
        {%- endif %}
        {% if to_date -%}
        cast('{{ to_date }}' as date) as to_date
        {%- else -%}
        last_date as to_date
        {%- endif %}

    from snapshot_dates

),
{% for side in ['from', 'to'] %}
segments_at_{{ side }} as (

    select user_id, segment
    from (
        select
            versions.user_id,
            versions.segment,
            row_number() over (
                partition by versions.user_id order by versions.dbt_valid_from desc
            ) as recency

        from versions
        cross join bounds
        where versions.data_date <= bounds.{{ side }}_date
    ) as recorded
    where recency = 1

),
{% endfor %}
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
