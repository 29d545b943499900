{#-
    Checks many columns of a model in one scan, instead of one query (and one dbt node) per
    column and rule. A model-level test:

        data_tests:
          - column_checks:
              name: column_checks_<model>
              arguments:
                not_null: [a, b]               # no NULL
                non_negative: [b, c]           # money, counts: no value < 0 (NULL passes)
                between_zero_and_one: [d]      # rates, shares: no value outside [0, 1] (NULL passes)

    Returns one row per broken rule: the column, the rule and how many rows break it. The test's
    failures are the total of those rows, so "Got 3 results" means three offending rows.
-#}
{% test column_checks(model, not_null=[], non_negative=[], between_zero_and_one=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set rules = {
    'not_null': '{} is null',
    'non_negative': '{} < 0',
    'between_zero_and_one': '{} < 0 or {} > 1',
} -%}
{%- set checks = [] -%}
{%- for rule, columns in [('not_null', not_null), ('non_negative', non_negative), ('between_zero_and_one', between_zero_and_one)] -%}
    {%- for column in columns %}{% do checks.append((column, rule)) %}{% endfor -%}
{%- endfor -%}
{%- if not checks -%}
    {{ exceptions.raise_compiler_error("column_checks on " ~ model ~ ": list at least one column under not_null, non_negative or between_zero_and_one") }}
{%- endif %}

with

counts as (

    select
        {%- for column, rule in checks %}
        sum(case when {{ rules[rule].replace('{}', column) }} then 1 else 0 end) as check_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from {{ model }}

)

{% for column, rule in checks -%}
select
    '{{ column }}' as column_name,
    '{{ rule }}' as rule,
    check_{{ loop.index }} as failing_rows

from counts
where check_{{ loop.index }} > 0
{% if not loop.last %}
union all

{% endif %}
{%- endfor %}
{% endtest %}
