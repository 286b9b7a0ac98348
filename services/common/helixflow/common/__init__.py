"""Shared code for the HelixFlow services: config, TLS, errors, telemetry."""
