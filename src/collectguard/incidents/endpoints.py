"""endpoints of incidents. SKELETON: filled by the incidents helper."""
