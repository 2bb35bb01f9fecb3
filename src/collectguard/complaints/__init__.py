"""投诉 Complaints (arts. 22, 23, 27): intake from every channel, registration → verification → investigation →
result notice, each step in the ledger; the answer's deadline (15 days, stricter per institution); recusal of the
people complained about; proxy complaints checked for authorisation; root causes that feed the agency and collector
figures; signals of organised "anti-collection" for a person to review."""
