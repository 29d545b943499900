{#- The columns snap_user_activity_status tracks: each user's current activity status, and the
    as-of date it is measured at (not tracked: a version records the as-of date of the build that
    saw it first). -#}
with

users as (

    select * from {{ ref('dim_users') }}

),

final as (

    select
        user_id,
        activity_status,
        is_churned,
        as_of_date

    from users

)

select * from final
