-- Contacts received each month by source (CIN census referral source code): from the MASH log,
-- or from Annex A List 1 for a council whose MASH log is not loaded. Months with no contact from a
-- source have no row for it.
with

mash_contacts as (
    select * from staging.stg_mash_contacts
),

annex_a_contacts as (
    select * from staging.stg_annex_a_contacts
),

source_months as (
    select * from intermediate.int_source_months
),

councils_with_mash as (
    select distinct la_code, from source_months
    where source = 'mash'
),

counts_by_month as (
    -- aggregated before joining: the MASH log is by far the largest table
    select
        la_code,
        'mash' as source,
        last_day(cast(received_at as date)) as period_end,
        contact_source,
        count(*) as contacts,
    from mash_contacts
    group by all
    union all
    select
        la_code,
        'annex_a_contacts' as source,
        last_day(contact_date) as period_end,
        contact_source,
        count(*) as contacts,
    from annex_a_contacts
    where la_code not in (select la_code from councils_with_mash)
    group by all
),

final as (
    select
        source_months.la_code,
        source_months.period_end,
        coalesce(counts_by_month.contact_source, 'not recorded') as category,
        cast(sum(counts_by_month.contacts) as bigint) as count,
    from counts_by_month
    inner join source_months
        on counts_by_month.la_code = source_months.la_code
        and counts_by_month.source = source_months.source
        and counts_by_month.period_end = source_months.period_end
    group by all
    order by all
)

select * from final
