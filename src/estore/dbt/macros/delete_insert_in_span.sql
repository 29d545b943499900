{#-
    Incremental strategy 'delete_insert_in_span': dbt-duckdb's delete+insert, with the delete
    bounded by the span of the written rows in the column named by the model's meta.span_column.
    For a table whose rows keep that value when a build rewrites them (fct_events: a re-emitted
    row has the event_time of the row it replaces), every row the delete matches lies in that
    span. As literal bounds, they let the delete skip the row groups outside the span, or at
    least the key columns of their rows, instead of reading the keys of the whole table. The
    unique_key must be a list (dbt-duckdb names the target DBT_INCREMENTAL_TARGET only then).
-#}
{% macro get_incremental_delete_insert_in_span_sql(arg_dict) %}
    {%- set column = config.get('meta')['span_column'] -%}
    {%- set span = query_span(
        "select min(" ~ column ~ "), max(" ~ column ~ ") from " ~ arg_dict['temp_relation']
    ) -%}
    {%- set predicates = (arg_dict['incremental_predicates'] or [])
        + [within_span('DBT_INCREMENTAL_TARGET.' ~ column, span)] -%}
    {{ return(get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
        arg_dict['dest_columns'], predicates)) }}
{% endmacro %}
