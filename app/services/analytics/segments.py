"""The RFM segments' keys and names, without numpy: campaigns (and so the till's checkout, which
imports them) check a segment name against these; the scoring itself is in rfm.py."""
from __future__ import annotations

from app import i18n
from app.i18n import NC_

SEGMENTS = ("champions", "loyal", "potential", "new", "at_risk", "cant_lose", "hibernating", "lost")
SEGMENT_NAMES = {
    "champions": NC_("segment:champions", "champions"), "loyal": NC_("segment:loyal", "loyal"), "potential": NC_("segment:potential", "potential"),
    "new": NC_("segment:new", "new"), "at_risk": NC_("segment:at_risk", "at risk"), "cant_lose": NC_("segment:cant_lose", "can't lose"),
    "hibernating": NC_("segment:hibernating", "hibernating"), "lost": NC_("segment:lost", "lost"),
}


def segment_name(segment: str, lang: str) -> str:
    """A segment's name in ``lang``."""
    name = SEGMENT_NAMES.get(segment)
    return i18n.entry(lang, name, context="segment:" + segment) if name else segment
