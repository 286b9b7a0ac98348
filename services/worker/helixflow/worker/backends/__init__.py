"""Engine backends: one module per inference library."""
