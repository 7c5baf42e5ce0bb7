-- SSDA903 header: one row per looked-after child.
with

source as (
    select * from raw.ssda903_header
),

final as (
    select
        la_code,
        cast(child as varchar) as child_id,
        cast(sex as varchar) as sex,
        cast(dob as date) as date_of_birth,
        cast(ethnic as varchar) as ethnicity,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
