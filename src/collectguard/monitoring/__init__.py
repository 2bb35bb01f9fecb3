"""Oversight of collectors and agencies: daily figures, thresholds and flags, the performance scheme (art. 6(二)6)
and the evidence behind an agency's suggested grades (art. 18(二))."""
