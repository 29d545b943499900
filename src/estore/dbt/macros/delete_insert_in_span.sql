{#-
    Incremental strategy 'delete_insert_in_span': dbt-duckdb's delete+insert, with the delete
    bounded: it matches only stored rows whose meta.span_column lies between the least
    span_column and the greatest meta.span_end_column (default: span_column) of the written rows.
    The model must guarantee that every row the delete should match lies in that span:
    - fct_events: a re-emitted row has the event_time of the row it replaces;
    - fct_sessions: a rewritten (user_session, user_id) has all its events written again, and
      every session it had started at one of them, so between the first start and the last end
      of the new sessions (sessions that started at an event of a dropped load are left to its
      post-hook, which deletes the sessions whose key has no events left).
    As literal bounds, they let the delete skip the row groups outside the span, or at least the
    key columns of their rows, instead of reading the keys of the whole table. The unique_key
    must be a list (dbt-duckdb names the target DBT_INCREMENTAL_TARGET only then).
    Dispatched: the bound relies on dbt-duckdb's alias for the target; elsewhere it is dbt's plain
    delete+insert (the same rows, without the bound).
-#}
{% macro get_incremental_delete_insert_in_span_sql(arg_dict) %}
    {{ return(adapter.dispatch('delete_insert_in_span_sql', 'estore')(arg_dict)) }}
{% endmacro %}

{% macro default__delete_insert_in_span_sql(arg_dict) %}
    {{ return(get_incremental_delete_insert_sql(arg_dict)) }}
{% endmacro %}

{% macro duckdb__delete_insert_in_span_sql(arg_dict) %}
    {%- set meta = config.get('meta') -%}
    {%- set column = meta['span_column'] -%}
    {%- set span = query_span(
        "select min(" ~ column ~ "), max(" ~ meta.get('span_end_column', column) ~ ")"
        ~ " from " ~ arg_dict['temp_relation']
    ) -%}
    {%- set predicates = (arg_dict['incremental_predicates'] or [])
        + [within_span('DBT_INCREMENTAL_TARGET.' ~ column, span)] -%}
    {{ return(get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
        arg_dict['dest_columns'], predicates)) }}
{% endmacro %}
