-- Annex A List 7: child protection plans (one row per child and plan start date).
with

source as (
    select * from raw.annex_a_cp_plans
),

final as (
    select
        la_code,
        cast(child_unique_id as varchar) as child_id,
        cast(gender as varchar) as gender,
        cast(ethnicity as varchar) as ethnicity,
        cast(cpp_start_date as date) as plan_start_date,
        cast(initial_category as varchar) as initial_category,
        cast(latest_category as varchar) as latest_category,
        cast(cpp_end_date as date) as plan_end_date,
        cast(previous_cpp_count as integer) as previous_plans_count,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
