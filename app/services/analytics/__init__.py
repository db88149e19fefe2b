"""Member analytics: RFM, BG/NBD, the 80/20 curve and churn risk (docs/analytics.md)."""
