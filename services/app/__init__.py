"""Use cases: deciding, sealing, erasure, against small ports."""
