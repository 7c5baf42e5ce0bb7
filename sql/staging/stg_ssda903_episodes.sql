-- SSDA903 episodes: one row per looked-after episode (child and start date).
with

source as (
    select * from raw.ssda903_episodes
),

final as (
    select
        la_code,
        cast(child as varchar) as child_id,
        cast(decom as date) as episode_start_date,
        cast(dec as date) as episode_end_date,
        cast(rne as varchar) as reason_new_episode,
        cast(ls as varchar) as legal_status,
        cast(cin as varchar) as category_of_need,
        cast(place as varchar) as placement_type,
        cast(place_provider as varchar) as placement_provider,
        cast(rec as varchar) as reason_episode_ceased,
        cast(reason_place_change as varchar) as reason_placement_change,
        -- legal statuses V3 and V4 are short breaks, excluded from every looked-after indicator
        coalesce(ls in ('V3', 'V4'), false) as is_short_break,
        cast(extract_date as date) as extract_date,
    from source
)

select * from final
