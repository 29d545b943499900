{#-
    Sessions bucketed two ways, stacked: by events per session (var
    session_quality_event_bounds) and by duration (var session_quality_duration_bounds_seconds),
    with conversion and revenue per session in each bucket.
-#}
{%- set event_bounds = var('session_quality_event_bounds') -%}
{%- set duration_bounds = var('session_quality_duration_bounds_seconds') -%}

with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

bucketed as (

    select
        events,
        duration_seconds,
        is_purchase_session,
        revenue,
        {{ bucket_order('events', event_bounds) }} as events_bucket_order,
        {{ bucket_label('events', event_bounds, lowest=1) }} as events_bucket,
        {{ bucket_order('duration_seconds', duration_bounds) }} as duration_bucket_order,
        {{ bucket_label('duration_seconds', duration_bounds, lowest=0, suffix='s') }} as duration_bucket

    from sessions

),

-- one aggregate per bucketing, stacked
unioned as (

    {% for dimension in ['events', 'duration'] %}
    select
        '{{ dimension }}' as dimension,
        {{ dimension }}_bucket as bucket,
        {{ dimension }}_bucket_order as bucket_order,
        count(*) as sessions,
        sum(case when is_purchase_session then 1 else 0 end) as purchase_sessions,
        sum(revenue) as revenue,
        avg(cast(events as {{ type_double() }})) as avg_events,
        avg(cast(duration_seconds as {{ type_double() }})) as avg_duration_seconds

    from bucketed
    group by {{ dimension }}_bucket, {{ dimension }}_bucket_order
    {% if not loop.last %}

    union all

    {% endif %}
    {% endfor %}

),

final as (

    select
        dimension,
        bucket,
        bucket_order,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(sessions as {{ type_double() }})
            / sum(sessions) over (partition by dimension) as share_of_sessions,
        cast(purchase_sessions as {{ dbt.type_bigint() }}) as purchase_sessions,
        cast(purchase_sessions as {{ type_double() }}) / sessions as conversion_rate,
        revenue,
        cast(revenue as {{ type_double() }}) / sessions as revenue_per_session,
        avg_events,
        avg_duration_seconds

    from unioned

)

select * from final
