"""Authentication of the router's public services: API keys and JWTs."""
