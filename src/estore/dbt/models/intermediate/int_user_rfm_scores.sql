{#-
    R, F and M scores of every buyer: 1 .. rfm_bins by percent rank, ties share a score.
    Frequency and monetary rank ascending; recency (days since the last purchase) descending,
    so the most recent buyers get the highest R. A view between dim_users and dim_user_rfm so
    that the segment rules can be unit-tested on hand-made scores.
-#}
{%- set bins = var('rfm_bins') -%}

with

users as (

    select * from {{ ref('dim_users') }}

),

buyers as (

    select
        user_id,
        days_since_last_purchase as recency_days,
        orders as frequency,
        revenue as monetary

    from users
    where orders > 0

),

scored as (

    select
        user_id,
        recency_days,
        frequency,
        monetary,
        cast(least({{ bins }}, 1 + floor({{ bins }} * percent_rank() over (order by recency_days desc)))
            as {{ dbt.type_int() }}) as r_score,
        cast(least({{ bins }}, 1 + floor({{ bins }} * percent_rank() over (order by frequency)))
            as {{ dbt.type_int() }}) as f_score,
        cast(least({{ bins }}, 1 + floor({{ bins }} * percent_rank() over (order by monetary)))
            as {{ dbt.type_int() }}) as m_score

    from buyers

),

final as (

    select
        *,
        (f_score + m_score) / 2.0 as fm_score

    from scored

)

select * from final
