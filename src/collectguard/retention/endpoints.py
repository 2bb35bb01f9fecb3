"""endpoints of retention. SKELETON: filled by the retention helper."""
