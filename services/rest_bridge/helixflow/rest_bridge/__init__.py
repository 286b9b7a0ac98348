"""HelixFlow rest_bridge service."""
