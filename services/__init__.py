"""wijklab services."""
