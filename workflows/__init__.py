"""wijklab workflows."""
