"""The HTTP API v1 and the operations endpoints."""
