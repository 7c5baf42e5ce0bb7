-- Child protection plans with their durations and the child's earlier plans in the loaded history.
with

cp_plans as (
    select * from staging.stg_annex_a_cp_plans
),

earlier_plans as (
    select
        plans.la_code,
        plans.child_id,
        plans.plan_start_date,
        count(earlier.plan_start_date) as earlier_plans_count,
        -- an earlier plan that ended within the 2 years before this one started
        coalesce(bool_or(
            earlier.plan_end_date <= plans.plan_start_date
            and earlier.plan_end_date >= plans.plan_start_date - interval 2 year
        ), false) as has_plan_ended_within_2y,
    from cp_plans as plans
    inner join cp_plans as earlier
        on plans.la_code = earlier.la_code
        and plans.child_id = earlier.child_id
        and earlier.plan_start_date < plans.plan_start_date
    group by plans.la_code, plans.child_id, plans.plan_start_date
),

final as (
    select
        cp_plans.la_code,
        cp_plans.child_id,
        cp_plans.plan_start_date,
        cp_plans.plan_end_date,
        cp_plans.initial_category,
        cp_plans.latest_category,
        cp_plans.previous_plans_count,
        coalesce(earlier_plans.earlier_plans_count, 0) > 0
            or coalesce(cp_plans.previous_plans_count, 0) > 0 as is_second_or_subsequent,
        coalesce(earlier_plans.has_plan_ended_within_2y, false) as is_second_within_2y,
        coalesce(
            cp_plans.plan_end_date <= cp_plans.plan_start_date + interval 3 month, false
        ) as ended_within_3m,
        coalesce(
            cp_plans.plan_end_date >= cp_plans.plan_start_date + interval 2 year, false
        ) as ended_after_2y_or_more,
    from cp_plans
    left join earlier_plans
        on cp_plans.la_code = earlier_plans.la_code
        and cp_plans.child_id = earlier_plans.child_id
        and cp_plans.plan_start_date = earlier_plans.plan_start_date
)

select * from final
