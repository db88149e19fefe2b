"""Bring-a-friend credit: the points a referrer earns when a new member they named pays with the
referral voucher (campaigns are care/'s; the points are a balance, so the credit is written here, in
the sale's transaction)."""
from __future__ import annotations

from sqlalchemy import select

from app.errors import Conflict
from app.models import Campaign, CampaignRecipient, Member, Voucher
from app.services.base import audit
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.ledger import ledger, points


def credit_referral(t: Ctx, voucher: Voucher, member: Member | None, sale_id: int) -> int:
    """Called by checkout after a voucher was redeemed, in the sale's transaction. For a voucher of a
    bring-a-friend campaign: refuse the referrer's own use; credit the referrer when the buyer is a
    new member (joined on or after the campaign) who names them. Returns the points credited."""
    if not (voucher.campaign or "").startswith("campaign:"):
        return 0
    row = t.s.execute(select(CampaignRecipient, Campaign).join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
                      .where(CampaignRecipient.voucher_id == voucher.id)).first()
    if row is None or row.Campaign.kind != "referral":
        return 0
    rec, c = row
    if member is not None and member.id == rec.member_id:
        raise Conflict("campaign_referral_own_voucher", code=voucher.code)
    if (member is None or member.referrer_id != rec.member_id or member.join_date < c.created_at.date()
            or rec.credited_at is not None):
        return 0
    cfg = shop_settings.load(t)
    ledger.post_points(t, rec.member_id, "earn", c.referral_points, sale_id=sale_id,
                       expires_on=points.expiry_date(cfg, t.today()), note=f"referral {voucher.code}")
    rec.credited_sale_id, rec.credited_at = sale_id, t.now()
    audit.record(t, "campaign.referral_credit", "member", rec.member_id,
                 after={"campaign": c.id, "points": c.referral_points, "friend": member.id, "voucher": voucher.code})
    return c.referral_points
