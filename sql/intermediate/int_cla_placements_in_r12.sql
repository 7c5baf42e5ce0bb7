-- For each child looked after at a month end whose r12 window lies inside the loaded data: the
-- placements during the window = 1 if an episode is open on its first day, plus the episodes
-- starting after the first day and on or before the period end with RNE S, P or B.
with

children as (
    select * from intermediate.int_cla_children_at_period_end
    where has_complete_r12
),

episodes as (
    select * from intermediate.int_cla_episodes_sequenced
),

final as (
    select
        children.la_code,
        children.period_end,
        children.child_id,
        max(case when episodes.episode_start_date <= children.r12_start then 1 else 0 end)
            + count(*) filter (
                where episodes.episode_start_date > children.r12_start and episodes.starts_placement
            ) as placements_count,
    from children
    inner join episodes
        on children.la_code = episodes.la_code
        and children.child_id = episodes.child_id
        and episodes.episode_start_date <= children.period_end
        and coalesce(episodes.episode_end_date, date '9999-12-31') > children.r12_start
    group by children.la_code, children.period_end, children.child_id
)

select * from final
