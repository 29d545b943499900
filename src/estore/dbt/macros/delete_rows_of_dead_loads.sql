{#-
    Post-hook of fct_events: delete the rows of the loads that are no longer live (replaced, or
    vanished from raw.events), named as literals (fct_events_loads), so the delete reads only
    their row groups. Renders to nothing when there are none (dbt skips an empty hook), which is
    every build that only adds loads.
-#}
{% macro delete_rows_of_dead_loads() -%}
    {%- set dead = fct_events_loads(this).dead -%}
    {%- if dead -%}
        delete from {{ this }} where {{ in_literals('load_id', dead, dbt.type_bigint()) }}
    {%- endif -%}
{%- endmacro %}
