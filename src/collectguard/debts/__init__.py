"""Debts: debtors, contacts, debts, placements, what a debtor agreed, and tenants' references."""
