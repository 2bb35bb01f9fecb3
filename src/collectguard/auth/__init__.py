"""API keys and the principals they stand for: who may do what, always within one institution."""
