-- For each council and loaded source: the month end of its first event and its last complete month.
-- A source's data reaches the latest of its event dates and its extract dates; the last complete
-- month is that date when it is a month end, otherwise the month end before it.
with

mash_contacts as (
    select * from staging.stg_mash_contacts
),

merlin_notifications as (
    select * from staging.stg_merlin_notifications
),

annex_a_contacts as (
    select * from staging.stg_annex_a_contacts
),

referrals as (
    select * from staging.stg_annex_a_referrals
),

cp_plans as (
    select * from staging.stg_annex_a_cp_plans
),

cla_episodes as (
    select * from staging.stg_ssda903_episodes
),

source_dates as (
    select
        la_code,
        'mash' as source,
        min(cast(received_at as date)) as first_event_date,
        greatest(
            max(cast(received_at as date)), max(cast(decided_at as date)), max(extract_date)
        ) as last_known_date,
    from mash_contacts
    group by la_code
    union all
    select
        la_code,
        'merlin' as source,
        min(cast(received_at as date)) as first_event_date,
        greatest(max(cast(received_at as date)), max(extract_date)) as last_known_date,
    from merlin_notifications
    group by la_code
    union all
    select
        la_code,
        'annex_a_contacts' as source,
        min(contact_date) as first_event_date,
        greatest(max(contact_date), max(extract_date)) as last_known_date,
    from annex_a_contacts
    group by la_code
    union all
    select
        la_code,
        'referrals' as source,
        min(referral_date) as first_event_date,
        greatest(max(referral_date), max(extract_date)) as last_known_date,
    from referrals
    group by la_code
    union all
    select
        la_code,
        'cp_plans' as source,
        min(plan_start_date) as first_event_date,
        greatest(max(plan_start_date), max(plan_end_date), max(extract_date)) as last_known_date,
    from cp_plans
    group by la_code
    union all
    select
        la_code,
        'cla_episodes' as source,
        min(episode_start_date) as first_event_date,
        greatest(
            max(episode_start_date), max(episode_end_date), max(extract_date)
        ) as last_known_date,
    from cla_episodes
    group by la_code
),

final as (
    select
        la_code,
        source,
        last_day(first_event_date) as first_period_end,
        case
            when last_known_date = last_day(last_known_date) then last_known_date
            else cast(date_trunc('month', last_known_date) - interval 1 day as date)
        end as last_period_end,
    from source_dates
)

select * from final
