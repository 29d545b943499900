{#-
    Buckets of a non-negative integer expression by ascending inclusive upper bounds, e.g.
    bounds [1, 5, 20] give the buckets 1 | 2-5 | 6-20 | 21+ (bounds from a var, so the
    buckets can be changed without touching SQL).
    bucket_order: 1 .. len(bounds) + 1. bucket_label: 'lo-hi' (or 'hi' when lo = hi) plus
    `suffix`, the last bucket 'lo' + suffix + '+'; `lowest` is the smallest possible value of the expression.
-#}
{% macro bucket_order(expression, bounds) -%}
    case
        {%- for upper in bounds %}
        when {{ expression }} <= {{ upper }} then {{ loop.index }}
        {%- endfor %}
        else {{ bounds | length + 1 }}
    end
{%- endmacro %}

{% macro bucket_label(expression, bounds, lowest=0, suffix='') -%}
    {%- set ns = namespace(lower=lowest) -%}
    case
        {%- for upper in bounds %}
        when {{ expression }} <= {{ upper }}
            then '{{ upper if ns.lower == upper else ns.lower ~ "-" ~ upper }}{{ suffix }}'
        {%- set ns.lower = upper + 1 %}
        {%- endfor %}
        else '{{ ns.lower }}{{ suffix }}+'
    end
{%- endmacro %}
