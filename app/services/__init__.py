"""Business rules. Plain Python: never imports Qt. Each public call is one transaction."""
