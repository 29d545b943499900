{#-
    Filters an incremental model builds from values it looked up at compile time (run_query),
    written as literals so DuckDB skips the row groups whose min/max rule them out; a subquery
    would scan every row group. Both render `1 = 0` when there is nothing to match.

    in_literals(expression, values, type): expression in (cast('v1' as type), ...).
    within_span(expression, span): span is {'from': ..., 'to': ...} (empty: nothing),
    expression between the two as timestamps.
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
