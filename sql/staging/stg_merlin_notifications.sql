-- Police MERLIN notifications log: one row per notification shared with children's services.
with

source as (
    select * from raw.merlin_notifications
),

final as (
    select
        la_code,
        cast(merlin_id as varchar) as merlin_id,
        cast(received_at as timestamp) as received_at,
        cast(child_id as varchar) as child_id,
        cast(notification_type as varchar) as notification_type,
        cast(police_risk as varchar) as police_risk,
        cast(screened as boolean) as is_screened,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
