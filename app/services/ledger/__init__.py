"""The only writers of balances: stored value (wallet), points, count cards, vouchers, referral
credit, each with its ledger of entries whose sum is the cached balance.
Rule: imports only members/, texts/ and base/."""
