"""Adapters to what lies outside wijklab: PostgreSQL, Temporal, cryptography, paging, HTTP."""
