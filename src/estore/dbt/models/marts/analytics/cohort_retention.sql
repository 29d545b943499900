{#-
    Monthly first-purchase cohorts x months since the first purchase, from month 0 up to the
    as-of month: every (cohort, month) cell has a row, also when nobody of the cohort bought.
-#}
{%- set max_months = var('cohort_max_months') -%}

with

users as (

    select * from {{ ref('dim_users') }}

),

events as (

    select * from {{ ref('fct_events') }}

),

as_of as (

    select
        cast({{ dbt.date_trunc('month', 'max(as_of_date)') }} as date) as as_of_month

    from users

),

cohort_members as (

    select
        user_id,
        cast({{ dbt.date_trunc('month', 'first_purchase_at') }} as date) as cohort_month

    from users
    where first_purchase_at is not null

),

cohorts as (

    select
        cohort_month,
        count(*) as cohort_customers

    from cohort_members
    group by cohort_month

),

month_offsets as (

    select
        cast(generated_number - 1 as {{ dbt.type_int() }}) as months_since_first_purchase

    from ({{ dbt.generate_series(max_months + 1) }}) as series

),

grid as (

    select
        cohorts.cohort_month,
        cohorts.cohort_customers,
        month_offsets.months_since_first_purchase

    from cohorts
    cross join month_offsets
    cross join as_of
    where {{ dbt.datediff('cohorts.cohort_month', 'as_of.as_of_month', 'month') }}
        >= month_offsets.months_since_first_purchase

),

customer_months as (

    select
        cohort_members.cohort_month,
        cohort_members.user_id,
        events.event_month,
        sum(events.price) as revenue

    from events
    inner join cohort_members
        on events.user_id = cohort_members.user_id
    where events.event_type = 'purchase'
    group by cohort_members.cohort_month, cohort_members.user_id, events.event_month

),

cohort_months as (

    select
        cohort_month,
        {{ dbt.datediff('cohort_month', 'event_month', 'month') }} as months_since_first_purchase,
        count(*) as customers_retained,
        sum(revenue) as revenue

    from customer_months
    group by cohort_month, event_month

),

joined as (

    select
        grid.cohort_month,
        grid.months_since_first_purchase,
        grid.cohort_customers,
        coalesce(cohort_months.customers_retained, 0) as customers_retained,
        coalesce(cohort_months.revenue, 0) as revenue

    from grid
    left join cohort_months
        on grid.cohort_month = cohort_months.cohort_month
        and grid.months_since_first_purchase = cohort_months.months_since_first_purchase

),

final as (

    select
        cohort_month,
        months_since_first_purchase,
        cast({{ dbt.dateadd('month', 'months_since_first_purchase', 'cohort_month') }} as date) as activity_month,
        cast(cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(customers_retained as {{ dbt.type_bigint() }}) as customers_retained,
        cast(customers_retained as {{ type_double() }}) / cohort_customers as retention_rate,
        revenue,
        cast(sum(revenue) over (
            partition by cohort_month
            order by months_since_first_purchase
            rows between unbounded preceding and current row
        ) as {{ type_double() }}) / cohort_customers as cumulative_revenue_per_customer

    from joined

)

select * from final
