"""Server-rendered pages for municipal staff, residents and evaluators (Dutch by default)."""
