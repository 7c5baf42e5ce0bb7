-- Every indicator of the catalogue in one long table: the contract of indicators.csv. Each
-- indicator is computed in exactly one mart model (the catalogue's `model` field names it).
with

front_door as (
    select * from marts.mart_front_door_indicators
),

referral as (
    select * from marts.mart_referral_indicators
),

child_protection as (
    select * from marts.mart_child_protection_indicators
),

looked_after as (
    select * from marts.mart_looked_after_indicators
),

unioned as (
    select * from front_door
    union all by name
    select * from referral
    union all by name
    select * from child_protection
    union all by name
    select * from looked_after
),

final as (
    select
        cast(la_code as varchar) as la_code,
        cast(indicator_id as varchar) as indicator_id,
        cast(period_end as date) as period_end,
        cast("window" as varchar) as "window",
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(value as double) as value,
    from unioned
    order by la_code, indicator_id, "window", period_end
)

select * from final
