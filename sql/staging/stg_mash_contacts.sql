-- MASH contacts log: one row per contact received by the MASH.
with

source as (
    select * from raw.mash_contacts
),

final as (
    select
        la_code,
        cast(contact_id as varchar) as contact_id,
        cast(child_id as varchar) as child_id,
        cast(received_at as timestamp) as received_at,
        cast(source as varchar) as contact_source,
        cast(merlin_id as varchar) as merlin_id,
        cast(rag as varchar) as rag_rating,
        cast(decided_at as timestamp) as decided_at,
        cast(outcome as varchar) as mash_outcome,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
