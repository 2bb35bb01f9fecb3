"""Stop notices to agencies (art. 11(五)): a transactional outbox and a signed-webhook sender.

`outbox.enqueue` writes a notice in the same transaction as the event that causes it (a settlement, a
hold), so a crash between commit and send loses nothing; `sender.Sender` delivers it at least once,
signed, with retries; `signing` is what a receiving agency uses to check a delivery.
"""
