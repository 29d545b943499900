{#- The columns snap_user_rfm_segment tracks: each buyer's current segment and scores. -#}
with

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

final as (

    select
        user_id,
        segment,
        r_score,
        f_score,
        m_score

    from rfm

)

select * from final
