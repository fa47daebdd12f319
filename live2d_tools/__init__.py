"""Live2D Cubism model tools: pure (no DB, no network, no printing)."""
