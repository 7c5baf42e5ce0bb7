-- The ONS mid-year population aged 0-17 that each council's month uses for rates per 10,000.
with

months as (
    select * from intermediate.int_months
),

population as (
    select * from reference.population
),

council_population as (
    -- one figure per council and year, even if a reference file repeats a row
    select
        la_code,
        mid_year,
        max(population) as population,
    from population
    where area_level = 'la'
    group by la_code, mid_year
),

final as (
    select
        months.la_code,
        months.period_end,
        months.population_mid_year,
        council_population.population,
    from months
    inner join council_population
        on months.la_code = council_population.la_code
        and months.population_mid_year = council_population.mid_year
)

select * from final
