-- MASH contacts received each month by MASH outcome ('not recorded' when there is none yet).
with

contacts as (
    select * from staging.stg_mash_contacts
),

mash_months as (
    select * from intermediate.int_source_months
    where source = 'mash'
),

final as (
    select
        mash_months.la_code,
        mash_months.period_end,
        coalesce(contacts.mash_outcome, 'not recorded') as category,
        count(*) as count,
    from contacts
    inner join mash_months
        on contacts.la_code = mash_months.la_code
        and last_day(cast(contacts.received_at as date)) = mash_months.period_end
    group by all
    order by all
)

select * from final
