"""Tools: lines, SMS channels, mailboxes, letterheads, IM accounts (art. 9)."""
