{#-
    dbt's `where` config of a data test, with two placeholders, so that the tests of the tables
    that grow with every load read only what the build added:
    - __latest_build__: the newest built_at of the tested table. `built_at = __latest_build__`
      keeps the rows the last build wrote. On the incremental facts that is enough: the rows a
      build leaves alone were checked when they were written and do not change, and a new row
      cannot repeat the key of an old one (fct_events drops the rows it already holds before
      writing, fct_sessions replaces every session of the pairs it rewrites).
    - __new_loads__: a condition true on rows of loads newer than every load fct_events holds
      (the tests of stg_events run before fct_events is built; load ids come from a sequence
      starting at 1, so a new load's id is greater). DuckDB takes max(load_id) from the column's
      statistics and skips the row groups of older loads. True on every row when fct_events does
      not exist yet or on a full refresh.
    A full refresh writes every row with one stamp, so it checks them all. Overrides dbt's macro
    of the same name.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set where = where | replace('__latest_build__', '(select max(built_at) from ' ~ relation ~ ')') -%}
    {%- if '__new_loads__' in where -%}
        {%- set fct_events = existing_model_relation('fct_events') -%}
        {%- set new_loads = '1 = 1' if fct_events is none
            else 'load_id > (select coalesce(max(load_id), 0) from ' ~ fct_events ~ ')' -%}
        {%- set where = where | replace('__new_loads__', new_loads) -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
{%- endmacro %}
