-- Children looked after at each month end the SSDA903 data covers (half-open: an episode ending
-- on the period end is not open), with their current episode; where episodes overlap, the one
-- that started last is current.
with

episodes as (
    select * from intermediate.int_cla_episodes_sequenced
),

source_months as (
    select * from intermediate.int_source_months
    where source = 'cla_episodes'
),

open_episodes as (
    select
        source_months.la_code,
        source_months.period_end,
        source_months.r12_start,
        source_months.has_complete_r12,
        episodes.child_id,
        episodes.episode_start_date,
        episodes.legal_status,
        episodes.placement_type,
        episodes.period_of_care_start_date,
        episodes.placement_start_date,
    from source_months
    inner join episodes
        on source_months.la_code = episodes.la_code
        and episodes.episode_start_date <= source_months.period_end
        and source_months.period_end < coalesce(episodes.episode_end_date, date '9999-12-31')
),

current_episodes as (
    select
        la_code,
        period_end,
        r12_start,
        has_complete_r12,
        child_id,
        max_by(
            {
                legal_status: legal_status,
                placement_type: placement_type,
                period_of_care_start_date: period_of_care_start_date,
                placement_start_date: placement_start_date,
            },
            episode_start_date
        ) as current_episode,
    from open_episodes
    group by la_code, period_end, r12_start, has_complete_r12, child_id
),

final as (
    select
        la_code,
        period_end,
        r12_start,
        has_complete_r12,
        child_id,
        current_episode.legal_status,
        current_episode.placement_type,
        current_episode.period_of_care_start_date,
        current_episode.placement_start_date,
    from current_episodes
)

select * from final
