{#-
    dbt's `where` config of a data test, with one placeholder: __latest_build__ stands for the
    newest built_at of the tested table. `where: "built_at = __latest_build__"` checks only the
    rows the last build wrote. On the incremental facts that is enough: the rows a build leaves
    alone were checked when they were written and do not change, and the delete+insert on the
    table's key means a new row cannot repeat the key of an old one. A full refresh writes every
    row with one stamp, so it checks them all. Overrides dbt's macro of the same name.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__latest_build__', '(select max(built_at) from ' ~ relation ~ ')') -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
