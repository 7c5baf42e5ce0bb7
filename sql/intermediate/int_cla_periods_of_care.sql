-- Periods of care: one row per child and period (end date null while it is still open).
with

episodes as (
    select * from intermediate.int_cla_episodes_sequenced
),

final as (
    select
        la_code,
        child_id,
        period_of_care_number,
        min(episode_start_date) as period_of_care_start_date,
        case
            when bool_or(episode_end_date is null) then null else max(episode_end_date)
        end as period_of_care_end_date,
        count(*) as episodes_count,
    from episodes
    group by la_code, child_id, period_of_care_number
)

select * from final
