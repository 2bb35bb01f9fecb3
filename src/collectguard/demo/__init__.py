"""A synthetic demo world (one lender, three agencies, 50 collectors, thousands of debtors) for demos,
tutorials and load tests. Nothing in it is real personal data."""
