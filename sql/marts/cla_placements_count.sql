-- Children looked after at each month end by their number of placements during the r12 window
-- (1, 2, 3+: the DfE table); only months whose r12 window lies inside the loaded data.
with

placements as (
    select * from intermediate.int_cla_placements_in_r12
),

final as (
    select
        la_code,
        period_end,
        case when placements_count >= 3 then '3+' else cast(placements_count as varchar) end
            as category,
        count(*) as count,
    from placements
    group by all
    order by all
)

select * from final
