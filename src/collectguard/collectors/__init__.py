"""Collectors: people and AI voice agents, their trainings and each institution's acceptance (art. 6, 14)."""
