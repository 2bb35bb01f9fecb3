"""repository of complaints. SKELETON: filled by the complaints helper."""
