"""wijklab projections."""
