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
{#- does fct_events hold rows of loads that were replaced or vanished since the last build? -#}
{%- set has_dead_rows = false -%}
{%- if fct_events is not none and execute -%}
    {%- set dead = run_query(
        "select count(*) from (select distinct load_id from " ~ fct_events ~ ") as built"
        ~ " where load_id not in (select load_id from " ~ ref('int_loads') ~ " where is_live)"
    ) -%}
    {%- set has_dead_rows = dead.columns[0].values()[0] > 0 -%}
{%- endif %}

with

events as (

    select * from {{ ref('stg_events') }}

),

loads as (

    select * from {{ ref('int_loads') }}

),

{% if fct_events is not none %}
built_loads as (

    select distinct load_id from {{ fct_events }}

),

{% endif %}
loads_to_add as (

    select load_id
    from loads
    where is_live
    {%- if fct_events is not none %}
        and load_id not in (select load_id from built_loads)
    {%- endif %}

),

batch_events as (

    select events.*
    from events
    inner join loads_to_add
        on events.load_id = loads_to_add.load_id

    {%- if has_dead_rows %}

    union all

    -- rows of loads already built that were dropped as duplicates of a row whose load has since
    -- been replaced: they take that row's place
    select events.*
    from events
    inner join (
        select event_key, event_time from {{ fct_events }}
        where load_id not in (select load_id from loads where is_live)
    ) as dead_rows
        on events.event_key = dead_rows.event_key
        and events.event_time = dead_rows.event_time
    where events.load_id in (select load_id from loads where is_live)
        and events.load_id not in (select load_id from loads_to_add)
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
        and existing.load_id in (select load_id from loads where is_live)

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
