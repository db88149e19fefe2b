"""The service knowledge base: short articles (product care, policies, answers to common questions,
typical cases) with tags, found by a search in Chinese or English, and inserted into a text or a
call note as plain text (``as_text``).

Articles are language-neutral: one title and body in whatever language the shop writes them; the
demo seeds each in English and in Chinese. ``search_text`` keeps title, body and tags casefolded,
so one LIKE per word matches English in any case and Chinese as typed (a Chinese query is matched
as a substring: Chinese has no spaces between words). A resolved complaint becomes a typical case
with ``save_case`` (the complaint note, its outcome and how it was resolved).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from app import i18n
from app.errors import Conflict, NotFound, ValidationError
from app.models import ContactNote, KbArticle
from app.services.base import audit, permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.text_rules import check_text

MAX_TITLE, MAX_BODY, MAX_TAGS = 120, 4000, 200


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    body: str
    tags: tuple[str, ...]
    source: str          # manual, case, seed
    note_id: int | None
    updated_at: datetime


def _view(a: KbArticle) -> Article:
    return Article(a.id, a.title, a.body, tuple(a.tags.split()), a.source, a.note_id, a.updated_at)


def _tags(tags) -> str:
    if isinstance(tags, str):
        tags = tags.replace(",", " ").replace("，", " ").split()
    out = []
    for tag in tags or ():
        tag = check_text(tag, "kb_tags", required=True).strip().lstrip("#").casefold()
        if tag and tag not in out:
            out.append(tag)
    joined = " ".join(out)
    if len(joined) > MAX_TAGS:
        raise ValidationError("kb_tags_too_long", max=MAX_TAGS)
    return joined


def _checked(title: str, body: str) -> tuple[str, str]:
    title = check_text(title, "title", required=True).strip()
    body = check_text(body, "body", multiline=True, required=True).strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationError("kb_title_invalid", max=MAX_TITLE)
    if not body or len(body) > MAX_BODY:
        raise ValidationError("kb_body_invalid", max=MAX_BODY)
    return title, body


def _search_text(title: str, body: str, tags: str) -> str:
    return f"{title}\n{body}\n{tags}".casefold()


def add(ctx: Ctx, title: str, body: str, tags=(), *, source: str = "manual") -> Article:
    permissions.require(ctx, "edit_knowledge")
    title, body = _checked(title, body)
    tags = _tags(tags)
    with ctx.tx() as t:
        a = KbArticle(title=title, body=body, tags=tags, search_text=_search_text(title, body, tags), source=source,
                      created_at=t.now(), updated_at=t.now())
        t.s.add(a)
        t.s.flush()
        audit.record(t, "kb.add", "kb_article", a.id, after={"title": title})
        return _view(a)


def update(ctx: Ctx, article_id: int, *, title: str, body: str, tags=()) -> Article:
    permissions.require(ctx, "edit_knowledge")
    title, body = _checked(title, body)
    tags = _tags(tags)
    with ctx.tx() as t:
        a = _row(t, article_id)
        before = {"title": a.title, "body": a.body, "tags": a.tags}
        a.title, a.body, a.tags, a.search_text = title, body, tags, _search_text(title, body, tags)
        a.updated_at = t.now()
        audit.record(t, "kb.update", "kb_article", a.id, before=before, after={"title": title, "body": body, "tags": tags})
        t.s.flush()
        return _view(a)


def remove(ctx: Ctx, article_id: int) -> None:
    permissions.require(ctx, "edit_knowledge")
    with ctx.tx() as t:
        a = _row(t, article_id)
        audit.record(t, "kb.remove", "kb_article", a.id, before={"title": a.title, "body": a.body})
        t.s.delete(a)


def _row(t: Ctx, article_id: int) -> KbArticle:
    a = t.s.get(KbArticle, article_id)
    if a is None:
        raise NotFound("kb_not_found", id=article_id)
    return a


def get(ctx: Ctx, article_id: int) -> Article:
    with ctx.tx(write=False) as t:
        return _view(_row(t, article_id))


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(ctx: Ctx, query: str = "", limit: int = 100) -> list[Article]:
    """Articles holding every word of ``query`` (in title, body or tags), titles matching first;
    an empty query lists them all, newest first."""
    words = (query or "").casefold().split()
    with ctx.tx(write=False) as t:
        q = select(KbArticle)
        if words:
            q = q.where(and_(*(KbArticle.search_text.like(f"%{_escape(w)}%", escape="\\") for w in words)))
        rows = t.s.execute(q.order_by(KbArticle.updated_at.desc(), KbArticle.id.desc())).scalars().all()
    if words:
        rows = sorted(rows, key=lambda a: not all(w in a.title.casefold() for w in words))
    return [_view(a) for a in rows[:limit]]


def as_text(article: Article) -> str:
    """What "insert into a note / text" puts in: the body, plain."""
    return article.body


def save_case(ctx: Ctx, note_id: int, *, title: str | None = None, tags=()) -> Article:
    """A resolved complaint saved as a typical case: the complaint, what was done, how it ended."""
    permissions.require(ctx, "edit_knowledge")
    with ctx.tx() as t:
        n = t.s.get(ContactNote, note_id)
        if n is None or n.kind != "complaint":
            raise NotFound("complaint_not_found", id=note_id)
        if n.resolved_at is None:
            raise Conflict("complaint_open", id=note_id)
        if t.s.execute(select(KbArticle.id).where(KbArticle.note_id == note_id)).first():
            raise Conflict("kb_case_exists", id=note_id)
        lang = shop_settings.load(t).language
        head = n.body if len(n.body) <= 40 else n.body[:39] + "…"
        title = (title or "").strip() or i18n.T_(lang, "Typical case: {text}", text=head)
        parts = [i18n.T_(lang, "Complaint: {text}", text=n.body), i18n.T_(lang, "Resolution: {text}", text=n.resolution)]
        if n.outcome:
            parts.append(i18n.T_(lang, "Outcome: {text}", text=n.outcome))
        body = "\n".join(parts)
        title, body = _checked(title[:MAX_TITLE], body[:MAX_BODY])
        tags = _tags(tuple(tags) + (i18n.T_(lang, "case"),))
        a = KbArticle(title=title, body=body, tags=tags, search_text=_search_text(title, body, tags), source="case",
                      note_id=note_id, created_at=t.now(), updated_at=t.now())
        t.s.add(a)
        t.s.flush()
        audit.record(t, "kb.case", "kb_article", a.id, after={"note": note_id, "title": title})
        return _view(a)


# --- the demo shop's defaults (demo.py) ------------------------------------------------------------
SEED = (
    ("Storing tea", "Keep tea sealed, cool, dry and away from light and smells. Green tea: in the fridge in an "
     "airtight tin, best within 6 months. Pu'er: airy and dry at room temperature, away from kitchens; it "
     "improves with age. Oolong and black tea: a sealed tin in a cupboard, within a year.", "tea storage"),
    ("存茶方法", "茶叶要密封、阴凉、干燥、避光、远离异味。绿茶：密封罐冷藏，6个月内喝完最佳。普洱：常温通风干燥处存放，"
     "远离厨房，越陈越香。乌龙茶和红茶：密封罐放柜中，一年内饮用。", "茶叶 存储"),
    ("Brewing guide", "Green tea: 80 °C water, 3 g per 150 ml, 1-2 minutes. Oolong: 95 °C, rinse once, 30-60 s "
     "infusions, 5-7 times. Ripe Pu'er: boiling water, rinse twice. Pour-over coffee: 15 g beans, 250 ml at "
     "92 °C, medium-fine grind, 2.5-3 minutes.", "tea coffee brewing"),
    ("冲泡指南", "绿茶：80°C 水，每150毫升3克，浸泡1-2分钟。乌龙茶：95°C，温润泡一次，每泡30-60秒，可泡5-7次。"
     "熟普洱：沸水，洗茶两次。手冲咖啡：咖啡豆15克，92°C 水250毫升，中细研磨，2.5-3分钟。", "茶叶 咖啡 冲泡"),
    ("Refund policy", "Unopened goods can be returned within 7 days with the receipt; opened tea and coffee "
     "only if faulty. Refunds go back the way the sale was paid: cash to cash, stored value to the card, "
     "points back to the account. Vouchers used are not refunded as cash.", "refund policy"),
    ("退换货政策", "未拆封商品凭小票7天内可退换；已开封的茶叶和咖啡仅在有质量问题时退换。退款按原支付方式退回："
     "现金退现金，储值退回会员卡，积分退回账户。已使用的优惠券不折现。", "退款 政策"),
    ("Stored-value rules", "Top-ups earn the bonus of the current ladder. A sale spends paid value first, then "
     "bonus. Paid value can be cashed out on request (with the owner's approval); bonus value cannot. "
     "Stored value does not expire. Balances are on every e-bill.", "stored-value wallet policy"),
    ("储值规则", "充值按当前档位赠送金额。消费时先扣实充金额，再扣赠送金额。实充余额可申请退现（需店主批准），"
     "赠送金额不可退现。储值余额长期有效，每张电子账单上都有余额。", "储值 政策"),
)


def seed_defaults(ctx: Ctx) -> int:
    """Add the default articles the knowledge base does not hold yet (by title); returns how many."""
    with ctx.tx() as t:
        have = set(t.s.execute(select(KbArticle.title)).scalars())
        added = 0
        for title, body, tags in SEED:
            if title in have:
                continue
            tags = _tags(tags)
            t.s.add(KbArticle(title=title, body=body, tags=tags, search_text=_search_text(title, body, tags),
                              source="seed", created_at=t.now(), updated_at=t.now()))
            added += 1
        return added
