-- For each council and loaded source: the month end of its first covered month and its last
-- complete month. A source's data reaches the latest of its event dates and its extract dates; the
-- last complete month is that date when it is a month end, otherwise the month end before it.
-- Logs (MASH, MERLIN) cover every event from their first. An Annex A list or SSDA903 return covers
-- a window before its extract date (12 months; List 1 six months, as Ofsted's guidance has it):
-- older plans and episodes appear in it only while still open, so the months before the earliest
-- loaded file's window would be undercounted and are not computed.
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

loaded_files as (
    select * from staging.stg_loaded_files
),

first_window_starts as (
    select
        la_code,
        case extract
            when 'annex_a_contacts' then 'annex_a_contacts'
            when 'annex_a_referrals' then 'referrals'
            when 'annex_a_cp_plans' then 'cp_plans'
            when 'ssda903_episodes' then 'cla_episodes'
        end as source,
        -- the end of the first whole month inside the earliest file's window: a file of
        -- 2012-03-31 covers 2011-04-01 .. 2012-03-31, so April 2011 (the date less 11 months)
        last_day(
            min(extract_date)
            - case when extract = 'annex_a_contacts' then interval 5 month else interval 11 month end
        ) as window_first_period_end,
    from loaded_files
    where extract in ('annex_a_contacts', 'annex_a_referrals', 'annex_a_cp_plans', 'ssda903_episodes')
    group by la_code, extract
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
        source_dates.la_code,
        source_dates.source,
        greatest(
            last_day(source_dates.first_event_date),
            coalesce(first_window_starts.window_first_period_end, source_dates.first_event_date)
        ) as first_period_end,
        case
            when last_known_date = last_day(last_known_date) then last_known_date
            else cast(date_trunc('month', last_known_date) - interval 1 day as date)
        end as last_period_end,
    from source_dates
    left join first_window_starts
        on source_dates.la_code = first_window_starts.la_code
        and source_dates.source = first_window_starts.source
)

select * from final
