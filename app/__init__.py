"""ShopCare: point-of-sale member management and customer care for small shops."""

__version__ = "0.1.0"
