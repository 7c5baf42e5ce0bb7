-- The months each source covers for each council, and whether its r12 window lies wholly inside
-- the loaded data (r12 rows are only emitted from the 12th month of a source's data).
with

months as (
    select * from intermediate.int_months
),

source_coverage as (
    select * from intermediate.int_source_coverage
),

final as (
    select
        months.la_code,
        source_coverage.source,
        months.period_end,
        months.month_start,
        months.r12_start,
        months.population_mid_year,
        months.r12_start >= date_trunc('month', source_coverage.first_period_end)
            as has_complete_r12,
    from months
    inner join source_coverage
        on months.la_code = source_coverage.la_code
        and months.period_end between source_coverage.first_period_end
            and source_coverage.last_period_end
)

select * from final
