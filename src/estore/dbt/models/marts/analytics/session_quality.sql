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

by_events as (

    select
        'events' as dimension,
        events_bucket as bucket,
        events_bucket_order as bucket_order,
        count(*) as sessions,
        sum(case when is_purchase_session then 1 else 0 end) as purchase_sessions,
        sum(revenue) as revenue,
        avg(cast(events as {{ type_double() }})) as avg_events,
        avg(cast(duration_seconds as {{ type_double() }})) as avg_duration_seconds

    from bucketed
    group by events_bucket, events_bucket_order

),

by_duration as (

    select
        'duration' as dimension,
        duration_bucket as bucket,
        duration_bucket_order as bucket_order,
        count(*) as sessions,
        sum(case when is_purchase_session then 1 else 0 end) as purchase_sessions,
        sum(revenue) as revenue,
        avg(cast(events as {{ type_double() }})) as avg_events,
        avg(cast(duration_seconds as {{ type_double() }})) as avg_duration_seconds

    from bucketed
    group by duration_bucket, duration_bucket_order

),

unioned as (

    select * from by_events

    union all

    select * from by_duration

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
