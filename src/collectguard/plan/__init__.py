"""The daily contact plan (issue 14 item 3): a schedule for the debts to contact on a day that the gate allows."""
