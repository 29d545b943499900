with

source as (

    select * from {{ source('raw', 'load_ledger') }}

),

renamed as (

    select
        load_id as load_id,
        path as path,
        file_name as file_name,
        rows_loaded as rows_loaded,
        rows_quarantined as rows_quarantined,
        loaded_at as loaded_at,
        lower(trim(status)) as status

    from source

)

select * from renamed
