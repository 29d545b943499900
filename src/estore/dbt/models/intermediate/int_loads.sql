{{ config(materialized='table') }}

with

ledger as (

    select * from {{ ref('stg_load_ledger') }}

),

load_rows as (

    select * from {{ ref('int_load_rows') }}

),

joined as (

    select
        coalesce(ledger.load_id, load_rows.load_id) as load_id,
        ledger.file_name as file_name,
        coalesce(ledger.status, 'loaded') as status,
        coalesce(load_rows.raw_rows, 0) as raw_rows,
        coalesce(load_rows.rows_without_session, 0) as rows_without_session

    from ledger
    full outer join load_rows
        on ledger.load_id = load_rows.load_id

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
