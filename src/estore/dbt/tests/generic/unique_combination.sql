{#-
    Fails once for every combination of `columns` that occurs on more than one row: the model's
    grain. A model-level test: `data_tests: [{unique_combination: {arguments: {columns: [a, b]}}}]`.
-#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_rows

from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
