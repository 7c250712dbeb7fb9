"""Dashboards on a small hand-built dataset in its own region: known answers, drill-downs
that hold exactly the counted rows, exports, and team scope for agents."""

import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from backend import clock
from backend.access import Actor
from backend.reports import dashboards, facts, growth
from backend.reports.drill import drill, to_csv, to_xlsx
from backend.reports.filters import parse_filter
from tests import factories as f

pytestmark = pytest.mark.integration


async def _world(db):  # type: ignore[no-untyped-def]
    region = await f.make_region(db)
    team_a, team_b = uuid.uuid4(), uuid.uuid4()
    now = clock.now()
    async with db.transaction():
        for tid, name in ((team_a, "A"), (team_b, "B")):
            await db.execute("INSERT INTO team (id, region_id, name_zh, name_en) VALUES "
                             "($1, $2, $3, $3)", tid, region, f"Team {name}")
    cust = await f.make_customer(db)
    project = await f.make_project(db, customer=cust, region_id=region)
    async with db.transaction():
        await db.execute("UPDATE project SET team_id = $1, accepted_on = $2 WHERE id = $3",
                         team_a, (now - timedelta(days=100)).date(), project["id"])
        # NPS answers 10, 9, 8, 6, 3 (team A) -> 2 promoters, 1 passive, 2 detractors: NPS 0
        for n, score in enumerate((10, 9, 8, 6, 3)):
            sid = uuid.uuid4()
            at = now - timedelta(days=2, hours=n)
            await db.execute(
                "INSERT INTO survey (id, kind, customer_id, project_id, trigger, token_hash, "
                "sent_at, expires_at, used_at) VALUES ($1, 'nps', $2, $3, 'manual', $4, $5, "
                "$6, $5)", sid, cust["id"], project["id"], uuid.uuid4().hex, at,
                at + timedelta(days=14))
            await db.execute(
                "INSERT INTO survey_response (id, survey_id, customer_id, kind, score, comment, "
                "created_at) VALUES ($1, $2, $3, 'nps', $4, '', $5)", uuid.uuid4(), sid,
                cust["id"], score, at)
        # one unanswered survey: response rate 5 / 6
        await db.execute(
            "INSERT INTO survey (id, kind, customer_id, project_id, trigger, token_hash, sent_at,"
            " expires_at) VALUES ($1, 'csat', $2, $3, 'manual', $4, $5, $6)", uuid.uuid4(),
            cust["id"], project["id"], uuid.uuid4().hex, now - timedelta(days=1), now)
        # tickets: team A 3 (2 resolved, one reopened; 1 responded late), team B 1 open
        specs = [(team_a, 1, 10, 0, True), (team_a, 2, 30, 1, True), (team_a, 5, None, 0, False),
                 (team_b, 1, None, 0, False)]
        for team, resp_h, res_h, reopen, on_time in specs:
            created = now - timedelta(days=3)
            await db.execute(
                "INSERT INTO ticket (id, number, customer_id, project_id, channel, category, "
                "priority, status, subject, description, preferred_windows, team_id, region_id,"
                " warranty_status, sla_snapshot, first_response_due, first_responded_at, "
                "resolved_at, reopen_count, created_at, updated_at) VALUES ($1, $2, $3, $4, "
                "'phone', 'repair', 'normal', $5, 's', '', '[]', $6, $7, 'in_warranty', '{}', "
                "$8, $9, $10, $11, $12, $12)", uuid.uuid4(), f"RT-{uuid.uuid4().hex[:10]}",
                cust["id"], project["id"], "resolved" if res_h else "open", team, region,
                created + timedelta(hours=4 if on_time else 3), created + timedelta(hours=resp_h),
                created + timedelta(hours=res_h) if res_h else None, reopen, created)
    # Rows written straight to the tables, as bulk loads do: fill the report facts the same way.
    await facts.rebuild(db)
    assert await facts.drift(db) == []
    return {"region": region, "team_a": team_a, "team_b": team_b}


def _manager() -> Actor:
    return Actor(kind="staff", id=uuid.uuid4(), role="manager")


async def test_known_answers_and_drilldowns(db) -> None:  # type: ignore[no-untyped-def]
    w = await _world(db)
    actor = _manager()
    flt = parse_filter({"period": "30d", "region_id": str(w["region"])}, actor)
    voice = await dashboards.voice(db, actor, flt)
    assert voice["values"]["nps"] == 0.0
    assert voice["values"]["response_rate"] == pytest.approx(5 / 6)
    counts = {fig.drill: fig.value for fig in voice["counts"]}
    assert counts["voice.promoters"] == 2 and counts["voice.detractors"] == 2
    assert sum(point["n"] for point in voice["trend"]) == 5
    service = await dashboards.service(db, actor, flt)
    figs = {fig.drill: fig for fig in service["counts"]}
    assert figs["service.created"].value == 4
    assert figs["service.resolved"].value == 2
    assert figs["service.reopened"].value == 1
    assert service["values"]["fcr"] == 0.5
    assert service["values"]["reopen"] == 0.5
    assert service["values"]["sla_response"] == pytest.approx(3 / 4)
    assert service["backlog"][0].value == 2
    warranty = await growth.warranty(db, actor, flt)
    assert warranty["figures"][0].value == 400.0  # 4 in-warranty repairs, 1 delivered project
    assert sum(row["repairs"] for row in warranty["by_crew"]) == 4
    assert (await drill(db, actor, flt, "warranty.repairs", {})).total == 4
    assert (await drill(db, actor, flt, "service.delivered", {})).total == 1
    assert service["values"]["per_100"] == 400.0
    segs = {row["fig"].drill: row["fig"].value for row in await growth.segments(db, actor, flt)}
    assert segs["growth.customers"] == 1
    assert segs["growth.segment_referral_ready"] == 1  # latest NPS 10, answered 2 days ago
    assert segs["growth.segment_at_risk"] == 0
    # every count drills down to exactly that many rows
    for fig in [*voice["counts"], *service["counts"], *service["backlog"]]:
        rows = await drill(db, actor, flt, fig.drill, fig.params)
        assert rows.total == fig.value, fig.drill
    data = await drill(db, actor, flt, "service.created", {})
    book = load_workbook(io.BytesIO(to_xlsx(data, "en", "Asia/Shanghai")))
    sheet = book.worksheets[0]
    assert sheet.max_row == 1 + data.total
    assert next(c.value for c in sheet[1]) == "Number"
    assert {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)} == \
        {row[0] for row in data.rows}
    csv_text = to_csv(data, "zh_CN", "Asia/Shanghai").decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1 + data.total


async def test_agent_without_manager_role_sees_only_their_team(db) -> None:  # type: ignore[no-untyped-def]
    w = await _world(db)
    agent = Actor(kind="staff", id=uuid.uuid4(), role="service_agent", region_id=w["region"],
                  team_id=w["team_b"])
    flt = parse_filter({"period": "30d"}, agent)
    service = await dashboards.service(db, agent, flt)
    created = next(fig for fig in service["counts"] if fig.drill == "service.created")
    assert created.value == 1  # only team B's ticket, though the region holds four
    rows = await drill(db, agent, flt, "service.created", {})
    assert rows.total == 1
    voice = await dashboards.voice(db, agent, flt)
    assert voice["values"]["nps"] is None  # team A's answers are not theirs


async def test_http_board_drill_export_and_permission(db, client) -> None:  # type: ignore[no-untyped-def]
    w = await _world(db)
    manager = await f.make_staff(db, role="manager")
    await client.sign_in(realm="staff", subject_id=manager["id"])
    q = f"?period=30d&region_id={w['region']}"
    for board in ("voice", "service", "delivery", "warranty", "growth"):
        response = await client.get(f"/desk/reports/{board}{q}")
        assert response.status_code == 200, board
        assert "<svg" in response.text or board == "warranty"
    segments = await client.get(f"/desk/reports/growth/segments{q}",
                                headers={"HX-Request": "true"})
    assert segments.status_code == 200 and "<table" in segments.text
    response = await client.get(f"/desk/reports/drill/service.created{q}")
    assert response.status_code == 200
    assert 'data-drill-count="4"' in response.text
    xlsx = await client.get(f"/desk/reports/drill/service.created{q}&format=xlsx")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0].max_row == 5
    wall = await client.get(f"/desk/reports/wall{q}", headers={"HX-Request": "true"})
    assert wall.status_code == 200 and "<html" not in wall.text
    assert (await client.get(f"/desk/reports/nope{q}")).status_code == 404
    designer = await f.make_staff(db, role="designer", region_id=w["region"])
    await client.sign_in(realm="staff", subject_id=designer["id"])
    assert (await client.get(f"/desk/reports/voice{q}")).status_code == 403
    assert (await client.get(f"/desk/reports/drill/service.created{q}&format=csv")
            ).status_code == 403
    homeowner = await f.make_customer(db)
    await client.sign_in(realm="customer", subject_id=homeowner["id"])
    for url in (f"/desk/reports/voice{q}", f"/desk/reports/drill/service.created{q}&format=csv",
                f"/desk/reports/wall{q}"):
        response = await client.get(url)
        assert response.status_code in (302, 303, 401, 403, 404), url
        assert "RT-" not in response.text
