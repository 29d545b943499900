{#-
    Buyers with their RFM scores and segment. The segment CASE is generated from var
    rfm_segments: the first rule whose inclusive r and fm bounds hold names the segment.
-#}
{%- set rfm_segments = var('rfm_segments') -%}

with

scores as (

    select * from {{ ref('int_user_rfm_scores') }}

),

segmented as (

    select
        *,
        case
            {%- for rule in rfm_segments %}
            when r_score between {{ rule['r'][0] }} and {{ rule['r'][1] }}
                and fm_score between {{ rule['fm'][0] }} and {{ rule['fm'][1] }}
                then '{{ rule["name"] | replace("'", "''") }}'
            {%- endfor %}
        end as segment

    from scores

),

final as (

    select
        user_id,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        {{ dbt.concat([
            'cast(r_score as ' ~ dbt.type_string() ~ ')',
            'cast(f_score as ' ~ dbt.type_string() ~ ')',
            'cast(m_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_score,
        fm_score,
        segment

    from segmented

)

select * from final
