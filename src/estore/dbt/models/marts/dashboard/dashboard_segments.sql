{#-
    The RFM segments in the order of var rfm_segments (the first rule that matches names a
    buyer's segment), so the dashboard and the report list and colour them the same way
    everywhere without repeating the rules. Buyers who match no rule ('Unsegmented') and users
    who never bought ('Prospects') follow them.
-#}
{%- set rfm_segments = var('rfm_segments') -%}

with

rules as (

    {%- for rule in rfm_segments %}
    select
        '{{ rule["name"] | replace("'", "''") }}' as segment,
        {{ loop.index }} as segment_order,
        {{ rule['r'][0] }} as r_score_min,
        {{ rule['r'][1] }} as r_score_max,
        {{ rule['fm'][0] }} as fm_score_min,
        {{ rule['fm'][1] }} as fm_score_max,
        true as is_buyer_segment,
        {% if rule.get('action') -%}
        '{{ rule["action"] | replace("'", "''") }}'
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as suggested_action
    {% if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

others as (

    select
        'Unsegmented' as segment,
        {{ rfm_segments | length + 1 }} as segment_order,
        cast(null as {{ dbt.type_int() }}) as r_score_min,
        cast(null as {{ dbt.type_int() }}) as r_score_max,
        cast(null as {{ dbt.type_int() }}) as fm_score_min,
        cast(null as {{ dbt.type_int() }}) as fm_score_max,
        true as is_buyer_segment,
        cast(null as {{ dbt.type_string() }}) as suggested_action

    union all

    select
        'Prospects' as segment,
        {{ rfm_segments | length + 2 }} as segment_order,
        cast(null as {{ dbt.type_int() }}) as r_score_min,
        cast(null as {{ dbt.type_int() }}) as r_score_max,
        cast(null as {{ dbt.type_int() }}) as fm_score_min,
        cast(null as {{ dbt.type_int() }}) as fm_score_max,
        false as is_buyer_segment,
        cast(null as {{ dbt.type_string() }}) as suggested_action

),

final as (

    select
        segment,
        cast(segment_order as {{ dbt.type_int() }}) as segment_order,
        cast(r_score_min as {{ dbt.type_int() }}) as r_score_min,
        cast(r_score_max as {{ dbt.type_int() }}) as r_score_max,
        cast(fm_score_min as {{ dbt.type_numeric() }}) as fm_score_min,
        cast(fm_score_max as {{ dbt.type_numeric() }}) as fm_score_max,
        is_buyer_segment,
        cast(suggested_action as {{ dbt.type_string() }}) as suggested_action

    from rules

    union all

    select * from others

)

select * from final
