{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_in_span',
        unique_key=['event_key', 'load_id'],
        meta={'span_column': 'event_time'},
        on_schema_change='fail',
        post_hook=[
            "{{ delete_rows_of_dead_loads() }}",
        ],
    )
}}

{#-
    Incremental: a build adds only loads not yet here (int_events__batch), drops exact duplicates
    within them in the sessionization window, and re-sessionizes just
    the user sessions those rows touch, re-emitting the existing rows of those sessions so their
    session_key follows a changed split (delete+insert replaces them). Rows of loads
    that were replaced or vanished from raw.events are removed by the post-hook; their sessions
    are re-sessionized too.
    The delete+insert key is (event_key, load_id): a re-emitted row keeps both, a new row has a
    new load_id (it is never a live row already here: int_events__batch drops those), and a
    row taking the place of a dropped load's row replaces it through the post-hook. A re-emitted
    row keeps its event_time, so the delete is bounded by the written rows' time span
    (macros/delete_insert_in_span.sql): it reads the keys of the rows in that span only.
    Every row a build writes (new, or re-emitted because its session id was re-sessionized) gets
    built_at = the start time of that build; untouched rows keep theirs. All rows of one
    (user_session, user_id) are always written together, so they share one built_at: fct_sessions
    uses it to rebuild only the sessions a build changed.
-#}
-- depends_on: {{ ref('int_loads') }}, {{ ref('stg_events') }}
{%- set session_timeout_minutes = var('session_timeout_minutes') %}
{%- set load_type = dbt.type_bigint() -%}
{#- the loads as literals (see fct_events_loads), and the time span of the rows already here that
    share a (user_session, user_id) with a new load or a dropped row: found with a narrow scan,
    so that `context` below reads (every column of) only the row groups in that span, not the
    whole table; none (no such rows) is the usual case -#}
{%- set context_span = {} -%}
{%- if is_incremental() -%}
    {%- set loads = fct_events_loads(this) -%}
    {%- if execute -%}
        {%- do context_span.update(query_span(
            "with touched as (
                select user_session, user_id from " ~ ref('stg_events') ~ "
                where " ~ in_literals('load_id', loads.new, load_type) ~ "
                union
                select user_session, user_id from " ~ this ~ "
                where " ~ in_literals('load_id', loads.dead, load_type) ~ "
            )
            select min(existing.event_time), max(existing.event_time)
            from " ~ this ~ " as existing
            inner join touched
                on existing.user_session = touched.user_session
                and existing.user_id = touched.user_id
            where not (" ~ in_literals('existing.load_id', loads.dead, load_type) ~ ")"
        )) -%}
    {%- endif -%}
{%- endif %}

with

batch as (

    select * from {{ ref('int_events__batch') }}

),

{% if is_incremental() %}
-- rows of loads that were replaced or vanished since the last build (the post-hook deletes them)
dropped_rows as (

    select
        user_session,
        user_id

    from {{ this }}
    where {{ in_literals('load_id', loads.dead, load_type) }}

),

touched_sessions as (

    select distinct user_session, user_id from batch

    union

    select distinct user_session, user_id from dropped_rows

),

-- rows already here whose session shares an id with the batch: their split may change.
-- The existing table is read by each CTE with only the columns it needs: a CTE holding all of it
-- would be materialized (it is read twice).
context as (

    select
        existing.event_key,
        existing.event_time,
        existing.event_type,
        existing.product_id,
        existing.category_id,
        existing.category_code,
        existing.brand,
        existing.price,
        existing.user_id,
        existing.user_session,
        existing.load_id

    from {{ this }} as existing
    inner join touched_sessions
        on existing.user_session = touched_sessions.user_session
        and existing.user_id = touched_sessions.user_id
    where {{ within_span('existing.event_time', context_span) }}
    {%- if loads.dead %}
        and not ({{ in_literals('existing.load_id', loads.dead, load_type) }})
    {%- endif %}

),

to_sessionize as (

    select
        event_key,
        event_time,
        event_type,
        product_id,
        category_id,
        category_code,
        brand,
        price,
        user_id,
        user_session,
        load_id

    from batch

    union all

    select * from context

),
{% else %}
to_sessionize as (

    select * from batch

),
{% endif %}

with_previous_event as (

    select
        *,
        lag(event_key) over (
            partition by user_session, user_id
            order by event_time, event_key, load_id
        ) as previous_event_key,
        lag(event_time) over (
            partition by user_session, user_id
            order by event_time, event_key, load_id
        ) as previous_event_time

    from to_sessionize

),

-- exact duplicates (same event_key) are adjacent in this order: keep the earliest load's row.
-- A session id starts a new session at its first event and after every gap longer than the
-- timeout (a dropped duplicate has its twin's time, so the gaps are unchanged). The session key
-- is hashed only on those starting rows (about one row in five), not on every event.
split_starts as (

    select
        event_key,
        event_time,
        event_type,
        product_id,
        category_id,
        category_code,
        brand,
        price,
        user_id,
        user_session,
        load_id,
        case
            when previous_event_time is null
                or event_time > {{ dbt.dateadd('minute', session_timeout_minutes, 'previous_event_time') }}
                then {{ surrogate_key(['user_session', 'user_id', 'event_time']) }}
        end as split_session_key

    from with_previous_event
    where previous_event_key is null
        or previous_event_key <> event_key

),

-- every event takes the key of the latest session start at or before it
sessionized as (

    select
        *,
        {{ last_non_null('split_session_key') }} over (
            partition by user_session, user_id
            order by event_time, event_key, load_id
            rows between unbounded preceding and current row
        ) as session_key

    from split_starts

),

final as (

    select
        event_key,
        event_time,
        cast(event_time as date) as event_date,
        cast({{ dbt.date_trunc('month', 'event_time') }} as date) as event_month,
        event_type,
        product_id,
        category_id,
        category_code,
        brand,
        price,
        user_id,
        user_session,
        session_key,
        load_id,
        {{ build_stamp() }} as built_at

    from sessionized

)

select * from final
