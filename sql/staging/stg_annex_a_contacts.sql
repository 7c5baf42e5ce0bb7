-- Annex A List 1: contacts.
with

source as (
    select * from raw.annex_a_contacts
),

final as (
    select
        la_code,
        cast(child_unique_id as varchar) as child_id,
        cast(gender as varchar) as gender,
        cast(ethnicity as varchar) as ethnicity,
        cast(date_of_contact as date) as contact_date,
        cast(contact_source as varchar) as contact_source,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
