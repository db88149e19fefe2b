"""The till: the sale screen, its cart, the member bar, pay, hold/recall, refund and the receipt preview."""
