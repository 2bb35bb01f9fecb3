"""Templates: scripts and message templates, their versions, review and approval (art. 15(一))."""
