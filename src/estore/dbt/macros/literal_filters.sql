{#-
    Filters an incremental model builds from values it looked up at compile time (run_query),
    written as literals so DuckDB skips the row groups whose min/max rule them out; a subquery
    would scan every row group. Both render `1 = 0` when there is nothing to match.

    in_literals(expression, values, type): expression in (cast('v1' as type), ...).
    within_span(expression, span): span is {'from': ..., 'to': ...} (empty: nothing),
    expression between the two as timestamps.
    sessions_span(days): the span from the first event to the last of the sessions of
    fct_sessions that start on `days` (dates), for within_span; {} when there are none.
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

{% macro sessions_span(days) -%}
    {%- if not days -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set span = run_query(
        "select min(session_start), max(session_end) from " ~ ref('fct_sessions')
        ~ " where " ~ in_literals('cast(session_start as date)', days, 'date')
    ) -%}
    {{ return({'from': span.columns[0].values()[0], 'to': span.columns[1].values()[0]}) }}
{%- endmacro %}
