"""Public disclosure (arts. 13, 23): the agencies an institution entrusts today (name, contact) and its complaint
channels and process, as unauthenticated pages and JSON under `/public/{institution}/`, computed live from the
tables; every change to what they show is a ledger event."""
