"""The Admin gRPC service: API keys and usage."""
