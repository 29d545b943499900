{#- Engine-specific SQL, dispatched per adapter (default__ is the portable fallback). -#}

{#- The non-null value of `value` on the row with the largest `order_by` within a group (an
    aggregate). `order_by` is a list of expressions compared in order, so a later one breaks the
    ties of the first: with a unique last key the pick does not depend on the order rows are read. -#}
{% macro last_value_by(value, order_by) -%}
    {{ return(adapter.dispatch('last_value_by', 'estore')(value, order_by)) }}
{%- endmacro %}

{#- max_by takes one key: engines without a row type break ties of the first key as they read. -#}
{% macro default__last_value_by(value, order_by) -%}
    max_by({{ value }}, {{ order_by[0] }})
{%- endmacro %}

{% macro duckdb__last_value_by(value, order_by) -%}
    arg_max({{ value }}, row({{ order_by | join(', ') }}))
{%- endmacro %}

{% macro bigquery__last_value_by(value, order_by) -%}
    array_agg({{ value }} ignore nulls order by {{ order_by | join(' desc, ') }} desc limit 1)[safe_offset(0)]
{%- endmacro %}


{#- 'YYYY-MM' label of a date or timestamp. -#}
{% macro format_month(expression) -%}
    {{ return(adapter.dispatch('format_month', 'estore')(expression)) }}
{%- endmacro %}

{% macro default__format_month(expression) -%}
    substring(cast(cast({{ expression }} as date) as {{ dbt.type_string() }}), 1, 7)
{%- endmacro %}

{% macro duckdb__format_month(expression) -%}
    strftime({{ expression }}, '%Y-%m')
{%- endmacro %}

{% macro bigquery__format_month(expression) -%}
    format_date('%Y-%m', date({{ expression }}))
{%- endmacro %}


{#-
    The relation of an incremental model that another model needs to compare against, or none on
    a full refresh / first build. Used by the ephemeral int_events__batch, which decides which raw
    loads fct_events still has to add (a ref() would be a cycle: fct_events selects from it).
-#}
{% macro existing_model_relation(model_name) -%}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.estore.' ~ model_name) -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}


{#-
    The last non-NULL value of `value` in a window frame, written before OVER: `{{ last_non_null('x') }}
    over (partition by ... order by ... rows between unbounded preceding and current row)`.
    SQL:2011 puts IGNORE NULLS after the call; DuckDB and BigQuery take it inside.
-#}
{% macro last_non_null(value) -%}
    {{ return(adapter.dispatch('last_non_null', 'estore')(value)) }}
{%- endmacro %}

{% macro default__last_non_null(value) -%}
    last_value({{ value }}) ignore nulls
{%- endmacro %}

{% macro duckdb__last_non_null(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}

{% macro bigquery__last_non_null(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}


{#-
    The time this dbt invocation started, as a timestamp literal: the stamp incremental models
    write on the rows a build (re)writes (fct_events.built_at, ...), so later builds can tell
    which rows changed since they last ran.
-#}
{% macro build_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
