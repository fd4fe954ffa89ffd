"""Read model: per neighbourhood and per theme, experiments by stage, budget by funding
source and lessons by theme, so the social, physical and energy agendas sit side by side.

These are views over the other read models: derived in one place, never kept twice.
"""

from __future__ import annotations

DDL = [
    """
    CREATE VIEW {schema}.neighbourhood_stages AS
    SELECT municipality, neighbourhood_code, min(neighbourhood_name) AS neighbourhood_name,
           min(neighbourhood_kind) AS neighbourhood_kind, stage, status, count(*) AS experiments
    FROM {schema}.experiments
    GROUP BY municipality, neighbourhood_code, stage, status
    """,
    """
    CREATE VIEW {schema}.neighbourhood_budget AS
    SELECT e.municipality, e.neighbourhood_code, line->>'source' AS source,
           sum((line->>'amount_eur')::numeric) AS amount_eur, count(DISTINCT e.id) AS experiments
    FROM {schema}.experiments e,
         jsonb_array_elements(e.doc->'plan'->'budget') AS line
    GROUP BY e.municipality, e.neighbourhood_code, line->>'source'
    """,
    """
    CREATE VIEW {schema}.theme_stages AS
    SELECT municipality, theme, stage, status, count(*) AS experiments
    FROM {schema}.experiments, unnest(themes) AS theme
    GROUP BY municipality, theme, stage, status
    """,
    """
    CREATE VIEW {schema}.theme_lessons AS
    SELECT municipality, theme, count(*) AS lessons
    FROM {schema}.lessons, unnest(themes) AS theme
    GROUP BY municipality, theme
    """,
]
