{#-
    Rule-based churn (dim_users: no purchase for more than var churn_days) next to the BG/NBD
    probability of having churned (1 - p_alive), per buyer. Built after the CLV fit (after_clv).
-#}
with

rfm as (

    select * from {{ ref('dim_user_rfm') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

clv as (

    select * from {{ ref('stg_clv__dim_user_clv') }}

),

final as (

    select
        rfm.user_id,
        rfm.segment,
        users.activity_status,
        users.is_churned,
        users.days_since_last_purchase,
        clv.p_alive,
        1 - clv.p_alive as probabilistic_churn,
        clv.clv

    from rfm
    inner join users
        on rfm.user_id = users.user_id
    left join clv
        on rfm.user_id = clv.user_id

)

select * from final
