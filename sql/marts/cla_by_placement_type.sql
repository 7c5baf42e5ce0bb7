-- Children looked after at each month end by the placement type of their current episode.
with

children as (
    select * from intermediate.int_cla_children_at_period_end
),

final as (
    select
        la_code,
        period_end,
        coalesce(placement_type, 'not recorded') as category,
        count(*) as count,
    from children
    group by all
    order by all
)

select * from final
