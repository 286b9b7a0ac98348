"""Exact-match response cache and embedding cache."""
