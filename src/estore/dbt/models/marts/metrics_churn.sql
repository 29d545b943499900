{#- a buyer can be churned only after churn_days without a purchase, so the window is never shorter -#}
{%- set observation_days = [var('churn_observation_days'), var('churn_days')] | max -%}

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

-- churn is observable only for buyers whose first purchase is observation_days old
classified as (

    select
        *,
        {{ format_month('first_purchase_at') }} as cohort_month,
        cast(first_purchase_at as date)
            <= {{ dbt.dateadd('day', -observation_days, 'as_of_date') }} as is_eligible

    from buyers

),

by_cohort as (

    select
        cohort_month,
        min(as_of_date) as as_of_date,
        count(*) as customers,
        cast(sum(case when is_eligible then 1 else 0 end) as {{ dbt.type_bigint() }}) as eligible_customers,
        cast(sum(case when is_eligible and is_churned then 1 else 0 end) as {{ dbt.type_bigint() }}) as churned_customers

    from classified
    group by cohort_month

),

overall as (

    select
        'overall' as cohort_month,
        min(as_of_date) as as_of_date,
        count(*) as customers,
        cast(coalesce(sum(case when is_eligible then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as eligible_customers,
        cast(coalesce(sum(case when is_eligible and is_churned then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as churned_customers

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
        cast(churned_customers as {{ type_double() }})
            / nullif(eligible_customers, 0) as churn_rate

    from unioned

)

select * from final
