"""Per-key usage accounting: requests, prompt and completion tokens."""
