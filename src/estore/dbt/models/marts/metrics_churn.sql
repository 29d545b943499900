{%- set churn_observation_days = var('churn_observation_days') -%}

with

users as (

    select * from {{ ref('dim_users') }}

),

buyers as (

    select
        user_id,
        first_purchase_at,
        is_churned,
        as_of_date

    from users
    where first_purchase_at is not null

),

-- churn is observable only for buyers whose first purchase is churn_observation_days old
classified as (

    select
        *,
        {{ format_month('first_purchase_at') }} as cohort_month,
        cast(first_purchase_at as date)
            <= {{ dbt.dateadd('day', -churn_observation_days, 'as_of_date') }} as is_eligible

    from buyers

),

by_cohort as (

    select
        cohort_month,
        min(as_of_date) as as_of_date,
        count(*) as customers,
        sum(case when is_eligible then 1 else 0 end) as eligible_customers,
        sum(case when is_eligible and is_churned then 1 else 0 end) as churned_customers

    from classified
    group by cohort_month

),

overall as (

    select
        'overall' as cohort_month,
        min(as_of_date) as as_of_date,
        count(*) as customers,
        coalesce(sum(case when is_eligible then 1 else 0 end), 0) as eligible_customers,
        coalesce(sum(case when is_eligible and is_churned then 1 else 0 end), 0) as churned_customers

    from classified

),

unioned as (

    select * from overall

    union all

    select * from by_cohort

),

final as (

    select
        cohort_month,
        as_of_date,
        customers,
        eligible_customers,
        churned_customers,
        cast(churned_customers as {{ dbt.type_float() }})
            / nullif(eligible_customers, 0) as churn_rate

    from unioned

)

select * from final
