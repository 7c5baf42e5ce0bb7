-- Placements: one row per child, period of care and placement (end date null while open).
with

episodes as (
    select * from intermediate.int_cla_episodes_sequenced
),

final as (
    select
        la_code,
        child_id,
        period_of_care_number,
        placement_number,
        min(episode_start_date) as placement_start_date,
        case
            when bool_or(episode_end_date is null) then null else max(episode_end_date)
        end as placement_end_date,
        arg_min(placement_type, episode_start_date) as placement_type,
    from episodes
    group by la_code, child_id, period_of_care_number, placement_number
)

select * from final
