-- Child protection indicators (Annex A List 7): plans started and ended by calendar month and
-- rolling 12 months, and plans open at each month end (snapshot).
with

cp_plans as (
    select * from intermediate.int_cp_plans_flagged
),

open_plans as (
    select * from intermediate.int_cp_plans_open_at_period_end
),

cp_months as (
    select * from intermediate.int_source_months
    where source = 'cp_plans'
),

population as (
    select * from intermediate.int_population_by_month
),

starts_by_month as (
    select
        la_code,
        last_day(plan_start_date) as period_end,
        count(*) as plans_started,
        count(*) filter (where is_second_or_subsequent) as second_or_subsequent,
        count(*) filter (where is_second_within_2y) as second_within_2y,
    from cp_plans
    group by la_code, last_day(plan_start_date)
),

ends_by_month as (
    select
        la_code,
        last_day(plan_end_date) as period_end,
        count(*) as plans_ended,
        count(*) filter (where ended_within_3m) as ended_within_3m,
        count(*) filter (where ended_after_2y_or_more) as ended_after_2y_or_more,
    from cp_plans
    where plan_end_date is not null
    group by la_code, last_day(plan_end_date)
),

open_by_month as (
    select
        la_code,
        period_end,
        count(distinct child_id) as children,
        count(*) as plans_open,
        count(*) filter (where is_open_3m_or_less) as open_3m_or_less,
        count(*) filter (where is_open_2y_or_more) as open_2y_or_more,
    from open_plans
    group by la_code, period_end
),

monthly as (
    -- every count column of starts_by_month and ends_by_month, under its own name; 0 if none
    select
        cp_months.la_code,
        cp_months.period_end,
        cp_months.has_complete_r12,
        coalesce(columns(starts_by_month.* exclude (la_code, period_end)), 0),
        coalesce(columns(ends_by_month.* exclude (la_code, period_end)), 0),
    from cp_months
    left join starts_by_month
        on cp_months.la_code = starts_by_month.la_code
        and cp_months.period_end = starts_by_month.period_end
    left join ends_by_month
        on cp_months.la_code = ends_by_month.la_code
        and cp_months.period_end = ends_by_month.period_end
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

snapshot as (
    select
        cp_months.la_code,
        cp_months.period_end,
        'snapshot' as "window",
        coalesce(columns(open_by_month.* exclude (la_code, period_end)), 0),
    from cp_months
    left join open_by_month
        on cp_months.la_code = open_by_month.la_code
        and cp_months.period_end = open_by_month.period_end
),

flow_indicators as (
    select
        la_code,
        period_end,
        "window",
        unnest([
            {
                indicator_id: 'cp_plans_started',
                numerator: cast(plans_started as double),
                denominator: cast(null as double),
                value: cast(plans_started as double),
            },
            {
                indicator_id: 'cp_second_subsequent_pct',
                numerator: cast(second_or_subsequent as double),
                denominator: cast(plans_started as double),
                value: 100.0 * second_or_subsequent / nullif(plans_started, 0),
            },
            {
                indicator_id: 'cp_second_subsequent_2y_pct',
                numerator: cast(second_within_2y as double),
                denominator: cast(plans_started as double),
                value: 100.0 * second_within_2y / nullif(plans_started, 0),
            },
            {
                indicator_id: 'cp_plans_ended',
                numerator: cast(plans_ended as double),
                denominator: cast(null as double),
                value: cast(plans_ended as double),
            },
            {
                indicator_id: 'cp_ended_within_3m_pct',
                numerator: cast(ended_within_3m as double),
                denominator: cast(plans_ended as double),
                value: 100.0 * ended_within_3m / nullif(plans_ended, 0),
            },
            {
                indicator_id: 'cp_ended_2y_plus_pct',
                numerator: cast(ended_after_2y_or_more as double),
                denominator: cast(plans_ended as double),
                value: 100.0 * ended_after_2y_or_more / nullif(plans_ended, 0),
            },
        ], recursive := true),
    from windowed
),

snapshot_indicators as (
    select
        la_code,
        period_end,
        "window",
        unnest([
            {
                indicator_id: 'cp_children',
                numerator: cast(children as double),
                denominator: cast(null as double),
                value: cast(children as double),
            },
            {
                indicator_id: 'cp_open_3m_or_less_pct',
                numerator: cast(open_3m_or_less as double),
                denominator: cast(plans_open as double),
                value: 100.0 * open_3m_or_less / nullif(plans_open, 0),
            },
            {
                indicator_id: 'cp_open_2y_plus_pct',
                numerator: cast(open_2y_or_more as double),
                denominator: cast(plans_open as double),
                value: 100.0 * open_2y_or_more / nullif(plans_open, 0),
            },
        ], recursive := true),
    from snapshot
),

rate_indicators as (
    select
        snapshot.la_code,
        snapshot.period_end,
        snapshot."window",
        'cp_rate_per_10k' as indicator_id,
        cast(snapshot.children as double) as numerator,
        population.population / 10000.0 as denominator,
        snapshot.children / (population.population / 10000.0) as value,
    from snapshot
    inner join population
        on snapshot.la_code = population.la_code
        and snapshot.period_end = population.period_end
),

final as (
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from flow_indicators
    union all by name
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from snapshot_indicators
    union all by name
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from rate_indicators
)

select * from final
