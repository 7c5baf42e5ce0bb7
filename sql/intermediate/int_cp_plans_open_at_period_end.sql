-- Each CP plan open at each month end the CP data covers (half-open: a plan ending on the period
-- end is not open), with how long it has been open.
with

cp_plans as (
    select * from intermediate.int_cp_plans_flagged
),

source_months as (
    select * from intermediate.int_source_months
    where source = 'cp_plans'
),

final as (
    select
        source_months.la_code,
        source_months.period_end,
        cp_plans.child_id,
        cp_plans.plan_start_date,
        cp_plans.latest_category,
        source_months.period_end <= cp_plans.plan_start_date + interval 3 month
            as is_open_3m_or_less,
        source_months.period_end >= cp_plans.plan_start_date + interval 2 year
            as is_open_2y_or_more,
    from source_months
    inner join cp_plans
        on source_months.la_code = cp_plans.la_code
        and cp_plans.plan_start_date <= source_months.period_end
        and source_months.period_end < coalesce(cp_plans.plan_end_date, date '9999-12-31')
)

select * from final
