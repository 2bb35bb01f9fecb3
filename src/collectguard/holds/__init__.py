"""Holds: stop-collection triggers beyond repayment (dispute, regulator complaint, hardship, litigation,
suspected fraud or identity theft, death). The gate cites `hold-active` while one is in force."""
