-- The month spine: every month end per council from the first month with any loaded event to the
-- last complete month, capped at $as_of (the month the run is for) when it is given.
with

source_coverage as (
    select * from intermediate.int_source_coverage
),

council_ranges as (
    select
        la_code,
        min(first_period_end) as first_period_end,
        least(
            max(last_period_end),
            coalesce(last_day(cast($as_of as date)), max(last_period_end))
        ) as last_period_end,
    from source_coverage
    group by la_code
),

month_starts as (
    select
        la_code,
        cast(unnest(generate_series(
            date_trunc('month', first_period_end),
            date_trunc('month', last_period_end),
            interval 1 month
        )) as date) as month_start,
    from council_ranges
    where first_period_end <= last_period_end
),

final as (
    select
        la_code,
        last_day(month_start) as period_end,
        month_start,
        cast(month_start - interval 11 month as date) as r12_start,
        -- the DfE year ends on 31 March; rates use the ONS estimate for mid-(year - 1)
        cast(year(month_start) + case when month(month_start) >= 4 then 1 else 0 end - 1 as integer)
            as population_mid_year,
    from month_starts
)

select * from final
