"""People's accounts for the console: argon2id passwords, sessions with CSRF tokens, lock-out, TOTP (issue 12)."""
