{#- Rule-based and probabilistic churn side by side per RFM segment (after_clv). -#}
with

customers as (

    select * from {{ ref('churn_comparison_users') }}

),

by_segment as (

    select
        segment,
        count(*) as customers,
        sum(case when is_churned then 1 else 0 end) as rule_churned_customers,
        count(p_alive) as scored_customers,
        avg(probabilistic_churn) as mean_probabilistic_churn,
        sum(p_alive) as expected_customers_alive

    from customers
    group by segment

),

final as (

    select
        segment,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(rule_churned_customers as {{ dbt.type_bigint() }}) as rule_churned_customers,
        cast(rule_churned_customers as {{ type_double() }}) / customers as rule_churn_rate,
        cast(scored_customers as {{ dbt.type_bigint() }}) as scored_customers,
        mean_probabilistic_churn,
        expected_customers_alive,
        cast(customers - rule_churned_customers as {{ type_double() }}) as rule_customers_alive

    from by_segment

)

select * from final
