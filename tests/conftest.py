"""Shared test settings: hypothesis runs deterministically and without deadlines."""

from hypothesis import settings

settings.register_profile("cnn_helpers", derandomize=True, deadline=None, database=None, print_blob=True)
settings.load_profile("cnn_helpers")
