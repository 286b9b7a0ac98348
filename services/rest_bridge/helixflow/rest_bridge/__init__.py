"""OpenAI-compatible REST/SSE bridge over HelixFlow's gRPC Inference API."""
