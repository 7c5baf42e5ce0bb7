-- Looked-after episodes (short breaks V3/V4 left out) numbered into periods of care and placements.
-- A period of care is a run of episodes each starting the day the previous one ended; it begins
-- with RNE S (or after a gap). A placement begins at RNE S, P or B; L, T and U continue it.
with

episodes as (
    select * from staging.stg_ssda903_episodes
    where not is_short_break
),

with_previous as (
    select
        *,
        lag(episode_end_date) over (
            partition by la_code, child_id order by episode_start_date
        ) as previous_end_date,
    from episodes
),

period_starts_flagged as (
    select
        *,
        previous_end_date is null
            or episode_start_date <> previous_end_date
            or reason_new_episode = 'S' as starts_period_of_care,
    from with_previous
),

periods_numbered as (
    select
        *,
        sum(case when starts_period_of_care then 1 else 0 end) over (
            partition by la_code, child_id order by episode_start_date
            rows between unbounded preceding and current row
        ) as period_of_care_number,
    from period_starts_flagged
),

placements_numbered as (
    select
        *,
        sum(case
            when starts_period_of_care or reason_new_episode in ('S', 'P', 'B') then 1 else 0
        end) over (
            partition by la_code, child_id, period_of_care_number order by episode_start_date
            rows between unbounded preceding and current row
        ) as placement_number,
    from periods_numbered
),

final as (
    select
        la_code,
        child_id,
        episode_start_date,
        episode_end_date,
        reason_new_episode,
        legal_status,
        placement_type,
        reason_episode_ceased,
        reason_new_episode in ('S', 'P', 'B') as starts_placement,
        period_of_care_number,
        placement_number,
        min(episode_start_date) over (
            partition by la_code, child_id, period_of_care_number
        ) as period_of_care_start_date,
        min(episode_start_date) over (
            partition by la_code, child_id, period_of_care_number, placement_number
        ) as placement_start_date,
    from placements_numbered
)

select * from final
