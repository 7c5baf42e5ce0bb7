-- The files ingestion has loaded: which extract each was and its extract date (from meta).
with

source as (
    select * from meta.loaded_files
),

final as (
    select
        la_code,
        cast(extract as varchar) as extract,
        cast(extract_date as date) as extract_date,
        cast(source_file as varchar) as source_file,
    from source
)

select * from final
