"""Admin configuration of product lines (warranty terms) and milestone templates (audited)."""

from __future__ import annotations

import uuid

from backend.access import Actor, require
from backend.audit import services as audit
from backend.db import Database, Row
from backend.errors import NotFound, ValidationFailed
from backend.i18n import N_


async def product_lines(db: Database) -> list[Row]:
    return await db.fetch("SELECT * FROM product_line ORDER BY code")


async def milestone_templates(db: Database) -> list[dict[str, object]]:
    """Templates with their stages, in two queries."""
    templates = await db.fetch("SELECT * FROM milestone_template ORDER BY name_en")
    stages = await db.fetch("SELECT * FROM template_stage ORDER BY template_id, position")
    return [{**t, "stages": [s for s in stages if s["template_id"] == t["id"]]}
            for t in templates]


async def update_product_line(db: Database, actor: Actor, *, line_id: uuid.UUID,
                              warranty_months: str, terms_zh: str, terms_en: str) -> None:
    """Warranty length and terms of a product line; new tickets' coverage follows them."""
    require(actor, "config.edit")
    try:
        months = int(warranty_months)
    except ValueError:
        months = -1
    if not 0 <= months <= 240:
        raise ValidationFailed({"warranty_months": N_("Enter the warranty in months (0 to "
                                                      "240).")})
    async with db.transaction():
        old = await db.fetchrow("SELECT warranty_months, terms_zh, terms_en FROM product_line "
                                "WHERE id = $1", line_id)
        if old is None:
            raise NotFound()
        before, after = audit.diff(dict(old), {"warranty_months": months,
                                               "terms_zh": terms_zh[:5000],
                                               "terms_en": terms_en[:5000]})
        if not after:
            return
        await db.execute("UPDATE product_line SET warranty_months = $2, terms_zh = $3, "
                         "terms_en = $4 WHERE id = $1", line_id, months, terms_zh[:5000],
                         terms_en[:5000])
        await audit.record(db, actor=actor, action="product_line.updated",
                           object_type="product_line", object_id=line_id, before=before,
                           after=after)


async def update_stage_days(db: Database, actor: Actor, *, stage_id: uuid.UUID,
                            default_days: str) -> None:
    """Planned length of a template stage; projects created later use it."""
    require(actor, "config.edit")
    try:
        days = int(default_days)
    except ValueError:
        days = -1
    if not 0 <= days <= 365:
        raise ValidationFailed({"default_days": N_("Enter a number of days (0 to 365).")})
    async with db.transaction():
        old = await db.fetchrow("SELECT default_days FROM template_stage WHERE id = $1",
                                stage_id)
        if old is None:
            raise NotFound()
        await db.execute("UPDATE template_stage SET default_days = $2 WHERE id = $1",
                         stage_id, days)
        await audit.record(db, actor=actor, action="template_stage.updated",
                           object_type="template_stage", object_id=stage_id,
                           before={"default_days": old["default_days"]},
                           after={"default_days": days})
