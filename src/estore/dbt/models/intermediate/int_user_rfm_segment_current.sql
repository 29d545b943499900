{#- The columns snap_user_rfm_segment tracks: each buyer's current segment and scores, and the
    as-of date of the data they describe (not tracked: a version records the as-of date of the
    build that saw it first). -#}
with

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

as_of as (

    select max(as_of_date) as as_of_date from {{ ref('dim_users') }}

),

final as (

    select
        rfm.user_id,
        rfm.segment,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        as_of.as_of_date

    from rfm
    cross join as_of

)

select * from final
