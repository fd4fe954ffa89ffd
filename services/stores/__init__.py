"""Table stores: each owns its tables and never writes another's."""
