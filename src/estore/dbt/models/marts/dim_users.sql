{%- set as_of_date = var('as_of_date') -%}
{%- set active_days = var('active_days') -%}
{%- set declining_days = var('declining_days') -%}
{%- set churn_days = var('churn_days') -%}

with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

-- the date "today" is taken to be: var as_of_date, else the date of the last event. An as_of_date
-- before the last event fails the build: events after "today" would count in every recency.
as_of as (

    {% if as_of_date %}
    select
        case
            when cast(max(session_end) as date) > cast('{{ as_of_date }}' as date)
                then {{ raise_error("'as_of_date " ~ as_of_date ~ " is before the last event ('
                    || cast(cast(max(session_end) as date) as " ~ dbt.type_string() ~ ")
                    || '): set it on or after that date, or leave it unset to use that date'") }}
            else cast('{{ as_of_date }}' as date)
        end as as_of_date
    from sessions
    {% else %}
    select cast(max(session_end) as date) as as_of_date from sessions
    {% endif %}

),

user_sessions as (

    select
        user_id,
        min(session_start) as first_event_at,
        max(session_end) as last_event_at,
        min(first_purchase_at) as first_purchase_at,
        max(last_purchase_at) as last_purchase_at,
        count(*) as sessions,
        cast(sum(case when is_purchase_session then 1 else 0 end) as {{ dbt.type_bigint() }}) as orders,
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(revenue) as revenue

    from sessions
    group by user_id

),

joined as (

    select
        user_sessions.user_id,
        user_sessions.first_event_at,
        user_sessions.last_event_at,
        user_sessions.first_purchase_at,
        user_sessions.last_purchase_at,
        user_sessions.sessions,
        user_sessions.orders,
        user_sessions.purchases,
        user_sessions.revenue,
        as_of.as_of_date,
        {{ dbt.datediff('cast(user_sessions.last_event_at as date)', 'as_of.as_of_date', 'day') }}
            as days_since_last_event,
        {{ dbt.datediff('cast(user_sessions.last_purchase_at as date)', 'as_of.as_of_date', 'day') }}
            as days_since_last_purchase

    from user_sessions
    cross join as_of

),

classified as (

    select
        *,
        case
            when last_purchase_at is null then 'prospect'
            when days_since_last_purchase <= {{ active_days }} then 'active'
            when days_since_last_purchase <= {{ declining_days }} then 'declining'
            when days_since_last_purchase <= {{ churn_days }} then 'at_risk'
            else 'churned'
        end as activity_status

    from joined

),

final as (

    select
        user_id,
        first_event_at,
        last_event_at,
        first_purchase_at,
        last_purchase_at,
        sessions,
        orders,
        purchases,
        revenue,
        case when orders > 0 then revenue / orders end as avg_order_value,
        revenue as historical_ltv,
        as_of_date,
        days_since_last_event,
        days_since_last_purchase,
        activity_status,
        activity_status = 'churned' as is_churned

    from classified

)

select * from final
