-- Referrals with the child's previous referral and whether it makes this one a re-referral:
-- the previous referral is dated within the 12 months before (on or after date - 12 months).
with

referrals as (
    select * from staging.stg_annex_a_referrals
),

with_previous as (
    select
        *,
        lag(referral_date) over (
            partition by la_code, child_id order by referral_date
        ) as previous_referral_date,
    from referrals
),

final as (
    select
        la_code,
        child_id,
        referral_date,
        is_no_further_action,
        previous_referral_date,
        coalesce(
            previous_referral_date >= referral_date - interval 12 month, false
        ) as is_rereferral_12m,
    from with_previous
)

select * from final
