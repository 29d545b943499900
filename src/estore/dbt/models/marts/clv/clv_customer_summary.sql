{#-
    The per-customer input of the BG/NBD and Gamma-Gamma fit (estore.clv), in days.
    A transaction is a day with at least one purchase: same-day purchases merge into one
    transaction whose value is the sum of their prices (as in the CDNOW benchmark).
    With var clv_calibration_end set, the model is written as marts.clv_calibration_summary
    (a holdout validation build), so the production marts.clv_customer_summary is never touched.
-#}
{{ config(alias=('clv_calibration_summary' if var('clv_calibration_end', none) else 'clv_customer_summary')) }}

{%- set calibration_end = var('clv_calibration_end', none) -%}

with

events as (

    select * from {{ ref('fct_events') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

-- the as-of date of dim_users (var as_of_date, else the date of the last event)
as_of as (

    select max(as_of_date) as as_of_date from users

),

period as (

    select
        as_of_date,
        {% if calibration_end %}
        cast('{{ calibration_end }}' as date) as calibration_end
        {% else %}
        as_of_date as calibration_end
        {% endif %}

    from as_of

),

transaction_days as (

    select
        user_id,
        event_date as transaction_date,
        sum(price) as transaction_value

    from events
    where event_type = 'purchase'
    group by user_id, event_date

),

first_days as (

    select
        user_id,
        min(transaction_date) as first_transaction_date

    from transaction_days
    group by user_id

),

days_with_period as (

    select
        transaction_days.user_id,
        transaction_days.transaction_date,
        transaction_days.transaction_value,
        first_days.first_transaction_date,
        period.calibration_end,
        period.as_of_date,
        transaction_days.transaction_date <= period.calibration_end as is_calibration,
        transaction_days.transaction_date > first_days.first_transaction_date as is_repeat

    from transaction_days
    inner join first_days
        on transaction_days.user_id = first_days.user_id
    cross join period
    where first_days.first_transaction_date <= period.calibration_end

),

customers as (

    select
        user_id,
        min(first_transaction_date) as first_transaction_date,
        min(calibration_end) as calibration_end,
        min(as_of_date) as as_of_date,
        sum(case when is_calibration then 1 else 0 end) - 1 as frequency,
        max(case when is_calibration then transaction_date end) as last_transaction_date,
        avg(case when is_calibration and is_repeat then transaction_value end) as monetary_value,
        sum(case when not is_calibration and transaction_date <= as_of_date then 1 else 0 end)
            as holdout_transactions

    from days_with_period
    group by user_id

),

final as (

    select
        user_id,
        first_transaction_date,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast({{ dbt.datediff('first_transaction_date', 'last_transaction_date', 'day') }}
            as {{ type_double() }}) as recency,
        cast({{ dbt.datediff('first_transaction_date', 'calibration_end', 'day') }}
            as {{ type_double() }}) as t,
        cast(monetary_value as {{ type_double() }}) as monetary_value,
        calibration_end,
        cast(holdout_transactions as {{ dbt.type_int() }}) as holdout_transactions,
        cast({{ dbt.datediff('calibration_end', 'as_of_date', 'day') }}
            as {{ type_double() }}) as holdout_days

    from customers

)

select * from final
