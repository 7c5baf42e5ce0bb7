-- Front door indicators (local definitions): MASH contacts and police MERLIN notifications, by
-- calendar month and rolling 12 months. Only months the MASH (or MERLIN) log covers get a row.
with

contacts as (
    select * from staging.stg_mash_contacts
),

notifications as (
    select * from staging.stg_merlin_notifications
),

mash_months as (
    select * from intermediate.int_source_months
    where source = 'mash'
),

merlin_months as (
    select * from intermediate.int_source_months
    where source = 'merlin'
),

contacts_flagged as (
    select
        la_code,
        last_day(cast(received_at as date)) as period_end,
        mash_outcome is not null as has_outcome,
        coalesce(mash_outcome <> 'REFERRAL', false) as is_not_meeting_threshold,
        mash_outcome = 'REFERRAL' as is_referral,
        merlin_id is not null as is_from_merlin,
        rag_rating in ('RED', 'AMBER', 'GREEN') as has_rag_rating,
        -- RAG targets are inclusive: red 4 hours, amber 24 hours, green 72 hours
        coalesce(decided_at <= received_at + case rag_rating
            when 'RED' then interval 4 hour
            when 'AMBER' then interval 24 hour
            when 'GREEN' then interval 72 hour
        end, false) as is_decided_in_time,
    from contacts
),

contacts_by_month as (
    select
        la_code,
        period_end,
        count(*) as contacts,
        count(*) filter (where has_outcome) as with_outcome,
        count(*) filter (where is_not_meeting_threshold) as not_meeting_threshold,
        count(*) filter (where has_outcome and has_rag_rating) as with_outcome_and_rag,
        count(*) filter (
            where has_outcome and has_rag_rating and is_decided_in_time
        ) as decided_in_time,
        count(*) filter (where is_from_merlin) as from_merlin,
        count(*) filter (where is_from_merlin and is_not_meeting_threshold)
            as from_merlin_not_meeting_threshold,
        count(*) filter (where is_from_merlin and has_outcome) as from_merlin_with_outcome,
        count(*) filter (where is_from_merlin and is_referral) as from_merlin_referrals,
    from contacts_flagged
    group by la_code, period_end
),

notifications_by_month as (
    select
        la_code,
        last_day(cast(received_at as date)) as period_end,
        count(*) as notifications,
    from notifications
    group by la_code, last_day(cast(received_at as date))
),

mash_monthly as (
    -- every count column of contacts_by_month, under its own name; 0 in a month without any
    select
        mash_months.la_code,
        mash_months.period_end,
        mash_months.has_complete_r12,
        coalesce(columns(contacts_by_month.* exclude (la_code, period_end)), 0),
    from mash_months
    left join contacts_by_month
        on mash_months.la_code = contacts_by_month.la_code
        and mash_months.period_end = contacts_by_month.period_end
),

mash_rolling as (
    -- the spine has every month, so 12 rows are 12 months
    select
        la_code,
        period_end,
        has_complete_r12,
        sum(columns(* exclude (la_code, period_end, has_complete_r12))) over r12,
    from mash_monthly
    window r12 as (
        partition by la_code order by period_end rows between 11 preceding and current row
    )
),

mash_windowed as (
    select * exclude (has_complete_r12), 'month' as "window" from mash_monthly
    union all by name
    select * exclude (has_complete_r12), 'r12' as "window" from mash_rolling
    where has_complete_r12
),

merlin_monthly as (
    select
        merlin_months.la_code,
        merlin_months.period_end,
        merlin_months.has_complete_r12,
        coalesce(notifications_by_month.notifications, 0) as notifications,
    from merlin_months
    left join notifications_by_month
        on merlin_months.la_code = notifications_by_month.la_code
        and merlin_months.period_end = notifications_by_month.period_end
),

merlin_rolling as (
    select
        la_code,
        period_end,
        has_complete_r12,
        sum(notifications) over (
            partition by la_code order by period_end rows between 11 preceding and current row
        ) as notifications,
    from merlin_monthly
),

merlin_windowed as (
    select * exclude (has_complete_r12), 'month' as "window" from merlin_monthly
    union all by name
    select * exclude (has_complete_r12), 'r12' as "window" from merlin_rolling
    where has_complete_r12
),

mash_indicators as (
    select
        la_code,
        period_end,
        "window",
        unnest([
            {
                indicator_id: 'mash_contacts',
                numerator: cast(contacts as double),
                denominator: cast(null as double),
            },
            {
                indicator_id: 'mash_not_meeting_threshold_pct',
                numerator: cast(not_meeting_threshold as double),
                denominator: cast(with_outcome as double),
            },
            {
                indicator_id: 'mash_decision_timely_pct',
                numerator: cast(decided_in_time as double),
                denominator: cast(with_outcome_and_rag as double),
            },
            {
                indicator_id: 'merlin_share_of_contacts_pct',
                numerator: cast(from_merlin as double),
                denominator: cast(contacts as double),
            },
            {
                indicator_id: 'merlin_share_of_not_meeting_threshold_pct',
                numerator: cast(from_merlin_not_meeting_threshold as double),
                denominator: cast(not_meeting_threshold as double),
            },
            {
                indicator_id: 'merlin_conversion_pct',
                numerator: cast(from_merlin_referrals as double),
                denominator: cast(from_merlin_with_outcome as double),
            },
        ], recursive := true),
    from mash_windowed
),

merlin_indicators as (
    select
        la_code,
        period_end,
        "window",
        'merlin_notifications' as indicator_id,
        cast(notifications as double) as numerator,
        cast(null as double) as denominator,
    from merlin_windowed
),

all_indicators as (
    select * from mash_indicators
    union all by name
    select * from merlin_indicators
),

final as (
    select
        la_code,
        indicator_id,
        period_end,
        "window",
        numerator,
        denominator,
        case
            when indicator_id in ('mash_contacts', 'merlin_notifications') then numerator
            else 100.0 * numerator / nullif(denominator, 0)
        end as value,
    from all_indicators
)

select * from final
