-- The neighbourhood register: a municipality's districts and neighbourhoods by their CBS
-- codes, each with key figures by year (from CBS's Kerncijfers wijken en buurten).
CREATE TABLE IF NOT EXISTS {schema}.neighbourhood_register (
    code text PRIMARY KEY,
    municipality text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    figures jsonb NOT NULL DEFAULT '[]',
    imported_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS neighbourhood_register_by_town ON {schema}.neighbourhood_register (municipality, code);
