"""HelixFlow worker service."""
