-- Referral indicators (Annex A List 3), by calendar month and rolling 12 months.
with

referrals as (
    select * from intermediate.int_referrals_flagged
),

referral_months as (
    select * from intermediate.int_source_months
    where source = 'referrals'
),

population as (
    select * from intermediate.int_population_by_month
),

referrals_by_month as (
    select
        la_code,
        last_day(referral_date) as period_end,
        count(*) as referrals,
        count(*) filter (where is_rereferral_12m) as rereferrals,
        count(*) filter (where is_no_further_action) as no_further_action,
    from referrals
    group by la_code, last_day(referral_date)
),

monthly as (
    -- every count column of referrals_by_month, under its own name; 0 in a month without any
    select
        referral_months.la_code,
        referral_months.period_end,
        referral_months.has_complete_r12,
        coalesce(columns(referrals_by_month.* exclude (la_code, period_end)), 0),
    from referral_months
    left join referrals_by_month
        on referral_months.la_code = referrals_by_month.la_code
        and referral_months.period_end = referrals_by_month.period_end
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

count_and_percent_indicators as (
    select
        la_code,
        period_end,
        "window",
        unnest([
            {
                indicator_id: 'referrals',
                numerator: cast(referrals as double),
                denominator: cast(null as double),
                value: cast(referrals as double),
            },
            {
                indicator_id: 'rereferrals_12m_pct',
                numerator: cast(rereferrals as double),
                denominator: cast(referrals as double),
                value: 100.0 * rereferrals / nullif(referrals, 0),
            },
            {
                indicator_id: 'referrals_nfa_pct',
                numerator: cast(no_further_action as double),
                denominator: cast(referrals as double),
                value: 100.0 * no_further_action / nullif(referrals, 0),
            },
        ], recursive := true),
    from windowed
),

rate_indicators as (
    select
        windowed.la_code,
        windowed.period_end,
        windowed."window",
        'referrals_rate_per_10k' as indicator_id,
        cast(windowed.referrals as double) as numerator,
        population.population / 10000.0 as denominator,
        windowed.referrals / (population.population / 10000.0) as value,
    from windowed
    inner join population
        on windowed.la_code = population.la_code
        and windowed.period_end = population.period_end
    where windowed."window" = 'r12'
),

final as (
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from count_and_percent_indicators
    union all by name
    select la_code, indicator_id, period_end, "window", numerator, denominator, value,
    from rate_indicators
)

select * from final
