"""Members: add, edit, find, list, tiers, export and erasure of the people who shop here.
Rule: never writes a balance (that is ledger/); imports only texts/ and base/."""
