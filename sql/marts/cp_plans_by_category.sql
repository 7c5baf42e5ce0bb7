-- CP plans open at each month end by latest category of abuse.
with

open_plans as (
    select * from intermediate.int_cp_plans_open_at_period_end
),

final as (
    select
        la_code,
        period_end,
        coalesce(latest_category, 'not recorded') as category,
        count(*) as count,
    from open_plans
    group by all
    order by all
)

select * from final
