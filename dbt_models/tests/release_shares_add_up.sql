-- The shares of each release version in release_composition add up to 1 (no sample counted twice or lost).
select release_version, sum(share_of_release) as total_share
from {{ ref('release_composition') }}
group by release_version
having abs(sum(share_of_release) - 1) > 1e-4
