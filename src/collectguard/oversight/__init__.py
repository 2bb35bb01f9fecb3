"""Oversight of agencies and inspections: evaluations, commitments, inspections and their samples, rectification orders and the obligations calendar (issue 11)."""
