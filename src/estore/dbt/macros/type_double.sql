{#-
    A 64-bit floating point type. dbt.type_float() is FLOAT on DuckDB, a 4-byte REAL (about 7
    significant digits), too coarse for money means, day counts fed to the CLV fit and rates.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'estore')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
