"""Scenario files: the rulebook's executable specification (shared/scenarios/FORMAT.md)."""
