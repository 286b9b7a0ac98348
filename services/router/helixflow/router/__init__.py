"""HelixFlow router service."""
