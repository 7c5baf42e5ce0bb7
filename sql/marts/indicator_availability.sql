-- For every council and catalogue indicator: whether it has any value, and why it is absent in
-- some or all months (an input not loaded, a population year missing, too little history).
with

catalogue as (
    select * from staging.seed_indicator_catalogue
),

source_coverage as (
    select * from intermediate.int_source_coverage
),

source_months as (
    select * from intermediate.int_source_months
),

population as (
    select * from intermediate.int_population_by_month
),

header as (
    select * from staging.stg_ssda903_header
),

indicators as (
    select * from marts.indicators
),

requirement_labels as (
    select * from (values
        ('mash', 'no MASH contacts log loaded for this council'),
        ('merlin', 'no MERLIN notifications log loaded for this council'),
        ('referrals', 'no Annex A referrals (List 3) loaded for this council'),
        ('cp_plans', 'no Annex A child protection plans (List 7) loaded for this council'),
        ('cla_episodes', 'no SSDA903 episodes loaded for this council'),
        ('cla_header', 'no SSDA903 header loaded for this council')
    ) as labels (requirement, missing_reason)
),

loaded_inputs as (
    select distinct la_code, source as requirement, from source_coverage
    union
    select distinct la_code, 'cla_header' as requirement, from header
),

councils as (
    select distinct la_code, from loaded_inputs
),

council_requirements as (
    select
        councils.la_code,
        catalogue.indicator_id,
        unnest(catalogue.requires) as requirement,
    from councils
    cross join catalogue
),

missing_inputs as (
    select
        council_requirements.la_code,
        council_requirements.indicator_id,
        1 as reason_order,
        requirement_labels.missing_reason as reason,
    from council_requirements
    inner join requirement_labels
        on council_requirements.requirement = requirement_labels.requirement
    left join loaded_inputs
        on council_requirements.la_code = loaded_inputs.la_code
        and council_requirements.requirement = loaded_inputs.requirement
    where loaded_inputs.la_code is null
),

population_needs as (
    -- the months of the indicator's own (loaded) inputs, each needing one mid-year estimate
    select distinct
        needs.la_code,
        needs.indicator_id,
        source_months.period_end,
        source_months.population_mid_year,
    from council_requirements as needs
    inner join council_requirements as inputs
        on needs.la_code = inputs.la_code
        and needs.indicator_id = inputs.indicator_id
        and inputs.requirement <> 'population'
    inner join source_months
        on inputs.la_code = source_months.la_code
        and inputs.requirement = source_months.source
    where needs.requirement = 'population'
),

missing_population as (
    select
        population_needs.la_code,
        population_needs.indicator_id,
        2 as reason_order,
        'no ONS population for '
            || string_agg(
                distinct 'mid-' || population_needs.population_mid_year, ', '
                order by 'mid-' || population_needs.population_mid_year
            ) as reason,
    from population_needs
    left join population
        on population_needs.la_code = population.la_code
        and population_needs.period_end = population.period_end
    where population.population is null
    group by population_needs.la_code, population_needs.indicator_id
),

indicator_counts as (
    select
        la_code,
        indicator_id,
        count(*) as rows_count,
    from indicators
    group by la_code, indicator_id
),

too_little_history as (
    -- inputs loaded, yet no row: only r12 windows are defined and none lies inside the data
    select
        council_requirements.la_code,
        council_requirements.indicator_id,
        3 as reason_order,
        'fewer than 12 months of data loaded, so no complete 12-month window' as reason,
    from council_requirements
    inner join catalogue
        on council_requirements.indicator_id = catalogue.indicator_id
    left join indicator_counts
        on council_requirements.la_code = indicator_counts.la_code
        and council_requirements.indicator_id = indicator_counts.indicator_id
    left join missing_inputs
        on council_requirements.la_code = missing_inputs.la_code
        and council_requirements.indicator_id = missing_inputs.indicator_id
    where indicator_counts.rows_count is null
        and missing_inputs.la_code is null
        and catalogue.windows = ['r12']
    group by council_requirements.la_code, council_requirements.indicator_id
),

reasons as (
    select * from missing_inputs
    union all
    select * from missing_population
    union all
    select * from too_little_history
),

reasons_by_indicator as (
    select
        la_code,
        indicator_id,
        string_agg(reason, '; ' order by reason_order, reason) as reason,
    from reasons
    group by la_code, indicator_id
),

final as (
    select
        councils.la_code,
        catalogue.indicator_id,
        indicator_counts.rows_count is not null as is_available,
        reasons_by_indicator.reason,
    from councils
    cross join catalogue
    left join indicator_counts
        on councils.la_code = indicator_counts.la_code
        and catalogue.indicator_id = indicator_counts.indicator_id
    left join reasons_by_indicator
        on councils.la_code = reasons_by_indicator.la_code
        and catalogue.indicator_id = reasons_by_indicator.indicator_id
    order by councils.la_code, catalogue.indicator_id
)

select * from final
