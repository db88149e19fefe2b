"""Member analytics: RFM, BG/NBD, the 80/20 curve and churn risk (docs/analytics.md).
Rule: read-only; the only home of numpy/scipy; imports only base/ (beside sales/, never above it)."""
