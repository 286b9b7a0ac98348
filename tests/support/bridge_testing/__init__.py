"""Test helpers for the REST bridge and e2e suites (on pytest's pythonpath)."""
