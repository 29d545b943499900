{#- The columns snap_user_activity_status tracks: each user's current activity status. -#}
with

users as (

    select * from {{ ref('dim_users') }}

),

final as (

    select
        user_id,
        activity_status,
        is_churned

    from users

)

select * from final
