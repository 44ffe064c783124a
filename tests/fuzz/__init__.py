"""Fuzzing the API against its OpenAPI document."""
