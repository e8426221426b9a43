-- release_lineage: every released row with its whole chain, one row per (release_version, problem_id).
-- needs: release_rows, raw_problems, normalized_problems, filtered_problems, decontaminated_problems,
--        dedup_decisions, curated_problems, distilled_samples
CREATE OR REPLACE TEMP VIEW release_lineage AS
SELECT
    r.release_version,
    r.problem_id,
    r.source,
    r.source_file,
    r.source_row,
    raw.row_key,
    n.problem_id IS NOT NULL AS normalized,
    f.problem_id IS NOT NULL AS passed_filters,
    dc.problem_id IS NOT NULL AS decontaminated,
    dd.is_kept AS dedup_kept,
    dd.cluster_size AS dedup_cluster_size,
    c.category,
    c.subcategory,
    c.difficulty,
    c.language,
    c.category_origin,
    c.difficulty_origin,
    r.response_id,
    r.origin,
    r.model,
    d.response_id = r.response_id AS distilled_choice_matches,
    list_transform(r.verdicts, lambda v: v.verifier || '@' || v.verifier_version || '=' || v.verdict) AS verdicts
FROM release_rows AS r
LEFT JOIN raw_problems AS raw ON raw.problem_id = r.problem_id AND raw.source = r.source
LEFT JOIN normalized_problems AS n ON n.problem_id = r.problem_id AND n.source = r.source
LEFT JOIN filtered_problems AS f ON f.problem_id = r.problem_id AND f.source = r.source
LEFT JOIN decontaminated_problems AS dc ON dc.problem_id = r.problem_id AND dc.source = r.source
LEFT JOIN dedup_decisions AS dd ON dd.problem_id = r.problem_id AND dd.source = r.source
LEFT JOIN curated_problems AS c ON c.problem_id = r.problem_id AND c.source = r.source
LEFT JOIN distilled_samples AS d ON d.problem_id = r.problem_id AND d.source = r.source
