{#-
    Filters an incremental model builds from values it looked up at compile time (run_query),
    written as literals so DuckDB skips the row groups whose min/max rule them out; a subquery
    would scan every row group. Both render `1 = 0` when there is nothing to match.

    in_literals(expression, values, type): expression in (cast('v1' as type), ...).
    within_span(expression, span): span is {'from': ..., 'to': ...} (empty: nothing),
    expression between the two as timestamps.
    on_days(timestamp, days): the timestamp falls on one of `days` (dates), as one range of the
    timestamp per run of consecutive days. DuckDB estimates such ranges from the column's
    statistics; `cast(timestamp as date) in (...)` it estimates at a small fraction of the rows,
    and then plans the joins downstream the wrong way round (the big side hashed).
    query_span(sql): the span for within_span of a query selecting one (min, max) row; {} when
    the min is null (no rows).
    sessions_span(days): the span from the first event to the last of the sessions of
    fct_sessions that start on `days` (dates); {} when there are none.
    fct_events_loads(fct_events): the live, new and dead load ids (below).
-#}
{% macro in_literals(expression, values, type) -%}
    {%- if values -%}
        {{ expression }} in (
            {%- for value in values %}
            cast('{{ value }}' as {{ type }}){{ "," if not loop.last }}
            {%- endfor %}
        )
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro within_span(expression, span) -%}
    {%- if span -%}
        {{ expression }} >= cast('{{ span.from }}' as {{ dbt.type_timestamp() }})
        and {{ expression }} <= cast('{{ span.to }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro on_days(timestamp, days) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set runs = [] -%}
    {%- for value in days | map('string') | unique | sort -%}
        {%- set day = modules.datetime.date.fromisoformat(value[:10]) -%}
        {%- if runs and runs[-1].to == day -%}
            {%- do runs[-1].update({'to': day + one_day}) -%}
        {%- else -%}
            {%- do runs.append({'from': day, 'to': day + one_day}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if runs -%}
        (
        {%- for run in runs %}
            {{ "or " if not loop.first }}({{ timestamp }} >= cast('{{ run.from }}' as {{ dbt.type_timestamp() }})
                and {{ timestamp }} < cast('{{ run.to }}' as {{ dbt.type_timestamp() }}))
        {%- endfor %}
        )
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro query_span(sql) -%}
    {%- set row = run_query(sql).rows[0] -%}
    {{ return({} if row[0] is none else {'from': row[0], 'to': row[1]}) }}
{%- endmacro %}

{% macro sessions_span(days) -%}
    {%- if not days -%}
        {{ return({}) }}
    {%- endif -%}
    {{ return(query_span(
        "select min(session_start), max(session_end) from " ~ ref('fct_sessions')
        ~ " where " ~ on_days('session_start', days)
    )) }}
{%- endmacro %}

{#-
    fct_events_loads(fct_events): the load ids fct_events builds from, for in_literals.
    live: the loads of int_loads that count (is_live); new: live loads not in `fct_events` yet
    (every live load when `fct_events` is none: a first build or a full refresh); dead: loads in
    `fct_events` that are no longer live (replaced, or vanished from raw.events). The rows of
    `fct_events` of a live load are exactly those whose load is not dead.
-#}
{% macro fct_events_loads(fct_events) -%}
    {%- set int_loads = ref('int_loads') -%}  {#- outside the `if`, so dbt sees the dependency when parsing -#}
    {%- if not execute -%}
        {{ return({'live': [], 'new': [], 'dead': []}) }}
    {%- endif -%}
    {%- set live = run_query(
        "select load_id from " ~ int_loads ~ " where is_live order by load_id"
    ).columns[0].values() | list -%}
    {%- set built = [] if fct_events is none else run_query(
        "select distinct load_id from " ~ fct_events ~ " order by load_id"
    ).columns[0].values() | list -%}
    {{ return({
        'live': live,
        'new': live | reject('in', built) | list,
        'dead': built | reject('in', live) | list,
    }) }}
{%- endmacro %}
