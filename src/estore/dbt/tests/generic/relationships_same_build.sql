{#-
    dbt's relationships test for two incremental tables that one build writes together, stamping
    each row with that build's built_at (fct_events and fct_sessions): fails once for every row of
    `model` whose `column_name` is not in `field` of `to`. The rows of `model` a build writes
    have their parents among the rows of `to` with the same stamps, so when `to` holds rows of
    every stamp checked, only those are read (as literals, so the scan skips the row groups of
    other builds); with the model's `where: built_at = __latest_build__` a build then checks its
    own rows against the rows it wrote, not against every row ever built. When `to` lacks one of
    the stamps (it was not rebuilt with `model`), every row of `to` is read, as dbt's test does.
-#}
{% test relationships_same_build(model, column_name, to, field) %}

{#- each stamp of the checked rows, and whether `to` holds rows of it -#}
{%- set stamps = [] -%}
{%- if execute -%}
    {%- set found = run_query(
        "select checked.built_at, parent.built_at is not null
        from (select distinct built_at from " ~ model ~ ") as checked
        left join (select distinct built_at from " ~ to ~ ") as parent
            on checked.built_at = parent.built_at"
    ) -%}
    {%- if false not in found.columns[1].values() -%}
        {%- do stamps.extend(found.columns[0].values()) -%}
    {%- endif -%}
{%- endif %}

with

child as (

    select {{ column_name }} as child_value
    from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as parent_value
    from {{ to }}
    {%- if stamps %}
    where {{ in_literals('built_at', stamps, dbt.type_timestamp()) }}
    {%- endif %}

)

select child.child_value

from child
left join parent
    on child.child_value = parent.parent_value
where parent.parent_value is null

{% endtest %}
