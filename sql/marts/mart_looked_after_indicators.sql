-- Children looked after indicators (SSDA903; short breaks V3/V4 left out throughout): starters and
-- leavers by calendar month and rolling 12 months, children looked after at each month end,
-- placement stability.
with

episodes as (
    select * from intermediate.int_cla_episodes_sequenced
),

children_looked_after as (
    select * from intermediate.int_cla_children_at_period_end
),

placements_in_r12 as (
    select * from intermediate.int_cla_placements_in_r12
),

header as (
    select * from staging.stg_ssda903_header
),

cla_months as (
    select * from intermediate.int_source_months
    where source = 'cla_episodes'
),

population as (
    select * from intermediate.int_population_by_month
),

starts_by_month as (
    select
        la_code,
        last_day(episode_start_date) as period_end,
        count(*) as started,
    from episodes
    where reason_new_episode = 'S'
    group by la_code, last_day(episode_start_date)
),

ceased_by_month as (
    -- X1: the episode ends and a new one starts the same day, so the child did not leave care
    select
        la_code,
        last_day(episode_end_date) as period_end,
        count(*) as ceased,
    from episodes
    where episode_end_date is not null
        and reason_episode_ceased is distinct from 'X1'
    group by la_code, last_day(episode_end_date)
),

monthly as (
    select
        cla_months.la_code,
        cla_months.period_end,
        cla_months.has_complete_r12,
        coalesce(starts_by_month.started, 0) as started,
        coalesce(ceased_by_month.ceased, 0) as ceased,
    from cla_months
    left join starts_by_month
        on cla_months.la_code = starts_by_month.la_code
        and cla_months.period_end = starts_by_month.period_end
    left join ceased_by_month
        on cla_months.la_code = ceased_by_month.la_code
        and cla_months.period_end = ceased_by_month.period_end
),

rolling as (
    -- the spine has every month, so 12 rows are 12 months
    select
        la_code,
        period_end,
        has_complete_r12,
        sum(columns(* exclude (la_code, period_end, has_complete_r12))) over r12,
    from monthly
    window r12 as (
        partition by la_code order by period_end rows between 11 preceding and current row
    )
),

windowed as (
    select * exclude (has_complete_r12), 'month' as "window" from monthly
    union all by name
    select * exclude (has_complete_r12), 'r12' as "window" from rolling
    where has_complete_r12
),

children_by_month as (
    select
        la_code,
        period_end,
        count(*) as children,
    from children_looked_after
    group by la_code, period_end
),

snapshot as (
    select
        cla_months.la_code,
        cla_months.period_end,
        coalesce(children_by_month.children, 0) as children,
    from cla_months
    left join children_by_month
        on cla_months.la_code = children_by_month.la_code
        and cla_months.period_end = children_by_month.period_end
),

placements_by_month as (
    select
        la_code,
        period_end,
        count(*) filter (where placements_count >= 3) as three_or_more_placements,
    from placements_in_r12
    group by la_code, period_end
),

stability as (
    -- the denominator is the children in snapshot.children, so months without any child give 0
    select
        cla_months.la_code,
        cla_months.period_end,
        coalesce(snapshot.children, 0) as children,
        coalesce(placements_by_month.three_or_more_placements, 0) as three_or_more_placements,
    from cla_months
    inner join snapshot
        on cla_months.la_code = snapshot.la_code
        and cla_months.period_end = snapshot.period_end
    left join placements_by_month
        on cla_months.la_code = placements_by_month.la_code
        and cla_months.period_end = placements_by_month.period_end
    where cla_months.has_complete_r12
),

long_term_children as (
    -- under 16 at the period end, in care for 2.5 years or more; a child without a header row
    -- has no known age and is left out
    select
        children_looked_after.la_code,
        children_looked_after.period_end,
        children_looked_after.child_id,
        children_looked_after.placement_start_date
            <= children_looked_after.period_end - interval 2 year as is_placement_2y_or_more,
    from children_looked_after
    inner join header
        on children_looked_after.la_code = header.la_code
        and children_looked_after.child_id = header.child_id
    where header.date_of_birth + interval 16 year > children_looked_after.period_end
        and children_looked_after.period_of_care_start_date
            <= children_looked_after.period_end - interval 30 month
),

long_term_by_month as (
    select
        la_code,
        period_end,
        count(*) as long_term_children,
        count(*) filter (where is_placement_2y_or_more) as same_placement_2y,
    from long_term_children
    group by la_code, period_end
),

long_term as (
    -- only councils whose SSDA903 header is loaded: without it no age is known
    select
        cla_months.la_code,
        cla_months.period_end,
        coalesce(long_term_by_month.long_term_children, 0) as long_term_children,
        coalesce(long_term_by_month.same_placement_2y, 0) as same_placement_2y,
    from cla_months
    left join long_term_by_month
        on cla_months.la_code = long_term_by_month.la_code
        and cla_months.period_end = long_term_by_month.period_end
    where cla_months.la_code in (select la_code from header)
),

flow_indicators as (
    select
        la_code,
        period_end,
        "window",
        unnest([
            {
                indicator_id: 'cla_started',
                numerator: cast(started as double),
                denominator: cast(null as double),
                value: cast(started as double),
            },
            {
                indicator_id: 'cla_ceased',
                numerator: cast(ceased as double),
                denominator: cast(null as double),
                value: cast(ceased as double),
            },
        ], recursive := true),
    from windowed
),

children_indicators as (
    select
        la_code,
        'cla_children' as indicator_id,
        period_end,
        'snapshot' as "window",
        cast(children as double) as numerator,
        cast(null as double) as denominator,
        cast(children as double) as value,
    from snapshot
),

rate_indicators as (
    select
        snapshot.la_code,
        'cla_rate_per_10k' as indicator_id,
        snapshot.period_end,
        'snapshot' as "window",
        cast(snapshot.children as double) as numerator,
        population.population / 10000.0 as denominator,
        snapshot.children / (population.population / 10000.0) as value,
    from snapshot
    inner join population
        on snapshot.la_code = population.la_code
        and snapshot.period_end = population.period_end
),

stability_indicators as (
    select
        la_code,
        'cla_3plus_placements_pct' as indicator_id,
        period_end,
        'r12' as "window",
        cast(three_or_more_placements as double) as numerator,
        cast(children as double) as denominator,
        100.0 * three_or_more_placements / nullif(children, 0) as value,
    from stability
),

long_term_indicators as (
    select
        la_code,
        'cla_long_term_stability_pct' as indicator_id,
        period_end,
        'snapshot' as "window",
        cast(same_placement_2y as double) as numerator,
        cast(long_term_children as double) as denominator,
        100.0 * same_placement_2y / nullif(long_term_children, 0) as value,
    from long_term
),

final as (
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from flow_indicators
    union all by name
    select * from children_indicators
    union all by name
    select * from rate_indicators
    union all by name
    select * from stability_indicators
    union all by name
    select * from long_term_indicators
)

select * from final
