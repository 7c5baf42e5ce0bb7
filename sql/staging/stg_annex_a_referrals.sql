-- Annex A List 3: referrals to children's social care.
with

source as (
    select * from raw.annex_a_referrals
),

final as (
    select
        la_code,
        cast(child_unique_id as varchar) as child_id,
        cast(gender as varchar) as gender,
        cast(ethnicity as varchar) as ethnicity,
        cast(date_of_referral as date) as referral_date,
        cast(referral_source as varchar) as referral_source,
        cast(referral_nfa as boolean) as is_no_further_action,
        cast(referrals_in_last_12_months as integer) as referrals_in_last_12_months,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
