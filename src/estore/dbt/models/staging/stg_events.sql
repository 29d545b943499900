with

source as (

    select * from {{ source('raw', 'events') }}

),

renamed as (

    select
        cast(event_time as {{ dbt.type_timestamp() }}) as event_time,
        lower(trim(event_type)) as event_type,
        product_id as product_id,
        category_id as category_id,
        nullif(lower(trim(category_code)), '') as category_code,
        nullif(lower(trim(brand)), '') as brand,
        price as price,
        user_id as user_id,
        nullif(trim(user_session), '') as user_session,
        load_id as load_id

    from source

),

-- the key hashes the cleaned values, so rows that differ only in the case or spaces of a code
-- are duplicates too
keyed as (

    select
        {{ surrogate_key([
            'event_time', 'event_type', 'product_id', 'category_id', 'category_code',
            'brand', 'price', 'user_id', 'user_session',
        ]) }} as event_key,
        *

    from renamed

)

select * from keyed
