{#-
    Use a model's +schema literally (marts, not main_marts): the warehouse layout in
    docs/architecture.md names the schemas raw, staging, intermediate, marts and snapshots.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
