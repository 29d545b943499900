{#- Engine-specific SQL, dispatched per adapter (default__ is the portable fallback). -#}

{#- The non-null value of `value` on the row with the latest `time` within a group (an
    aggregate). Ties in time go to the largest `key` (on DuckDB: the largest hash of it), so with
    a unique key the pick does not depend on the order the rows are read. -#}
{% macro last_value_by(value, time, key) -%}
    {{ return(adapter.dispatch('last_value_by', 'estore')(value, time, key)) }}
{%- endmacro %}

{#- max_by takes one ordering value: here ties in time go to whichever row is read first. -#}
{% macro default__last_value_by(value, time, key) -%}
    max_by({{ value }}, {{ time }})
{%- endmacro %}

{#- one 128-bit ordering value, time in its high 64 bits: arg_max on a row(time, key) is 4-5
    times slower (it compares through sort keys) -#}
{% macro duckdb__last_value_by(value, time, key) -%}
    arg_max({{ value }}, epoch_us({{ time }})::hugeint * 18446744073709551616 + hash({{ key }})::hugeint)
{%- endmacro %}

{% macro bigquery__last_value_by(value, time, key) -%}
    array_agg({{ value }} ignore nulls order by {{ time }} desc, {{ key }} desc limit 1)[safe_offset(0)]
{%- endmacro %}


{#- Fails the query with `message` (a string literal) when evaluated: use it in a CASE branch. -#}
{% macro raise_error(message) -%}
    {{ return(adapter.dispatch('raise_error', 'estore')(message)) }}
{%- endmacro %}

{#- DuckDB's error() and BigQuery's ERROR() both fail the query with the message -#}
{% macro default__raise_error(message) -%}
    error({{ message }})
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
