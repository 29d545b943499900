{{ config(materialized='table') }}

with

ledger as (

    select * from {{ ref('stg_load_ledger') }}

),

events as (

    select * from {{ ref('stg_events') }}

),

event_counts as (

    select
        load_id as load_id,
        count(*) as raw_rows,
        sum(case when user_session is null then 1 else 0 end) as rows_without_session

    from events
    group by load_id

),

joined as (

    select
        coalesce(ledger.load_id, event_counts.load_id) as load_id,
        ledger.file_name as file_name,
        coalesce(ledger.status, 'loaded') as status,
        coalesce(event_counts.raw_rows, 0) as raw_rows,
        coalesce(event_counts.rows_without_session, 0) as rows_without_session

    from ledger
    full outer join event_counts
        on ledger.load_id = event_counts.load_id

),

final as (

    select
        load_id,
        file_name,
        status,
        raw_rows,
        rows_without_session,
        (status <> 'replaced' and raw_rows > 0) as is_live

    from joined

)

select * from final
