{{ config(materialized='ephemeral') }}

{#-
    The raw rows fct_events still has to add: rows of live loads whose load_id is not yet in
    fct_events (every live load on a first build or --full-refresh), without rows lacking a
    user_session, and without exact duplicates of rows fct_events already holds (compared only
    inside the batch's own time range). Duplicates inside the batch are removed by fct_events in
    the same window pass that sessionizes (duplicates are adjacent in that order).
    Ephemeral, and it finds fct_events through existing_model_relation(): fct_events selects from
    this model, so a ref() back to it would be a cycle.
-#}
{%- set fct_events = existing_model_relation('fct_events') -%}
{#- literal load ids (looked up at compile time), so the scans skip the row groups of other loads -#}
{%- set loads = fct_events_loads(fct_events) -%}
{%- set load_type = dbt.type_bigint() %}

with

events as (

    select * from {{ ref('stg_events') }}

),

batch_events as (

    select * from events
    where {{ in_literals('load_id', loads.new, load_type) }}
    {%- if loads.dead %}

    union all

    -- rows of loads already built that were dropped as duplicates of a row whose load has since
    -- been replaced: they take that row's place
    select events.*
    from events
    inner join (
        select event_key, event_time from {{ fct_events }}
        where {{ in_literals('load_id', loads.dead, load_type) }}
    ) as dead_rows
        on events.event_key = dead_rows.event_key
        and events.event_time = dead_rows.event_time
    where {{ in_literals('events.load_id', loads.live | reject('in', loads.new) | list, load_type) }}
    {%- endif %}

),

-- rows without a session id cannot be sessionized (counted in int_loads.rows_without_session)
sessionizable as (

    select * from batch_events
    where user_session is not null

),

{% if fct_events is not none %}
batch_range as (

    select
        min(event_time) as min_event_time,
        max(event_time) as max_event_time

    from sessionizable

),

-- rows fct_events keeps (live loads) inside the batch's time range: a duplicate has the same
-- event_time, so nothing outside the range can match
existing_in_range as (

    select
        existing.event_key,
        existing.event_time

    from {{ fct_events }} as existing
    cross join batch_range
    where existing.event_time between batch_range.min_event_time and batch_range.max_event_time
    {%- if loads.dead %}
        and not ({{ in_literals('existing.load_id', loads.dead, load_type) }})
    {%- endif %}

),

final as (

    select sessionizable.*
    from sessionizable
    left join existing_in_range
        on sessionizable.event_key = existing_in_range.event_key
        and sessionizable.event_time = existing_in_range.event_time
    where existing_in_range.event_key is null

)
{% else %}
final as (

    select * from sessionizable

)
{% endif %}

select * from final
