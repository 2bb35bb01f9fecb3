"""The world the gate judges: institutions, agencies, agreements, collectors, tools, templates,
debtors, contacts, debts, placements and debtor agreements."""
