"""SQLAlchemy models. No business logic here: rules live in app.services."""
from app.models.base import Base
from app.models.care import (CallbackTask, Campaign, CampaignRecipient, ContactNote, InboundMessage, KbArticle,
                              Message, SatisfactionScore)
from app.models.ledgers import PointsEntry, PointsLapse, Topup, WalletEntry
from app.models.members import Member, MemberDate, MemberTag
from app.models.sales import (Category, CountCard, CountCardEntry, HeldCart, MemberPrice, Payment, Product,
                              ProductBarcode, ProductSearchKey, Sale, SaleLine, StockEntry, Voucher)
from app.models.shop import AuditLog, ImportBatch, ImportChange, Setting, Staff, Till, Tier, TopupBonusRule

__all__ = [
    "AuditLog", "Base", "CallbackTask", "ContactNote", "CountCard", "CountCardEntry", "HeldCart",
    "Member", "MemberDate", "MemberTag", "Message", "Payment", "PointsEntry", "PointsLapse", "Product", "Sale",
    "SaleLine", "Setting", "Staff", "Till", "Tier", "Topup", "TopupBonusRule", "Voucher", "WalletEntry",
    "InboundMessage", "SatisfactionScore",  # texts
    "Campaign", "CampaignRecipient", "KbArticle",  # care: campaigns and knowledge base
    "Category", "MemberPrice", "ProductBarcode", "ProductSearchKey", "StockEntry",  # the catalogue and stock
    "ImportBatch", "ImportChange",  # imports and their undo
]
