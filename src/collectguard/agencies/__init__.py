"""Agencies: the agencies, institutions' name lists, subcontractor approvals and agreements (art. 13, 17)."""
