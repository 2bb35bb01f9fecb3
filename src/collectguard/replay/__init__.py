"""通话日志回放 / Replaying existing call logs through the rulebook (shared/replay/FORMAT.md)."""
