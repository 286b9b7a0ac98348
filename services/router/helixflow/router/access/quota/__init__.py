"""Per-key RPM, TPM and concurrent-stream limits, exact across router replicas."""
