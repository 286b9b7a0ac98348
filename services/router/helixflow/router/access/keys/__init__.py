"""API key records and their stores (Redis, or embedded SQLite without Redis)."""
