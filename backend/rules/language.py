"""The small rule language the desk edits: one condition or one action per line.

Conditions: ``<field> <op> <value>`` with op one of ``= != > >= < <= in has``
(``customer.tier = vip``, ``event.overdue_hours >= 24``, ``ticket.category in leak,damage``).
Actions: ``notify <target> <message> [urgent]``, ``escalate``, ``add_tag <tag>``,
``create_task <target> <title>``, ``send_survey <nps|csat|ces>``,
``recovery_ticket <target> <hours>``. Targets: ``homeowner``, ``assignee`` (of the task,
else the ticket, else the work order's technician), ``technician`` (of the work order),
``project_manager``, ``team_lead``, ``role:<role>``, ``person:<staff id>``.
Stored as JSON; the lines are only the editing form, so both directions live here.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.access import STAFF_ROLES
from backend.notifications.messages import message_keys
from backend.rules.context import FIELDS, Context, lookup

OPS = ("!=", ">=", "<=", "=", ">", "<", " in ", " has ")
ACTIONS = ("notify", "escalate", "add_tag", "create_task", "send_survey", "recovery_ticket")
TARGETS = ("homeowner", "assignee", "technician", "project_manager", "team_lead")
SURVEY_KINDS = ("nps", "csat", "ces")


class RuleSyntaxError(ValueError):
    def __init__(self, line: int, text: str) -> None:
        super().__init__(f"line {line}: {text}")
        self.line = line
        self.text = text


def parse_conditions(text: str) -> list[dict[str, str]]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        for op in OPS:
            if op in line:
                field, value = (part.strip() for part in line.split(op, 1))
                break
        else:
            raise RuleSyntaxError(number, line)
        if field not in FIELDS or not value:
            raise RuleSyntaxError(number, line)
        out.append({"field": field, "op": op.strip(), "value": value})
    return out


def _valid_target(target: str) -> bool:
    if target in TARGETS:
        return True
    if target.startswith("role:"):
        return target[5:] in STAFF_ROLES
    if target.startswith("person:"):
        try:
            uuid.UUID(target[7:])
        except ValueError:
            return False
        return True
    return False


def parse_actions(text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if not words:
            continue
        verb, args = words[0], words[1:]
        action: dict[str, Any] | None = None
        if verb == "notify" and len(args) in (2, 3) and _valid_target(args[0]) \
                and args[1] in message_keys() and (len(args) == 2 or args[2] == "urgent"):
            action = {"do": "notify", "to": args[0], "message": args[1],
                      "urgent": len(args) == 3}
        elif verb == "escalate" and not args:
            action = {"do": "escalate"}
        elif verb == "add_tag" and len(args) == 1 and len(args[0]) <= 32:
            action = {"do": "add_tag", "tag": args[0]}
        elif verb == "create_task" and len(args) >= 2 and _valid_target(args[0]):
            action = {"do": "create_task", "to": args[0], "title": " ".join(args[1:])[:200]}
        elif verb == "send_survey" and len(args) == 1 and args[0] in SURVEY_KINDS:
            action = {"do": "send_survey", "survey": args[0]}
        elif verb == "recovery_ticket" and len(args) == 2 and _valid_target(args[0]) \
                and args[1].isdigit() and 1 <= int(args[1]) <= 720:
            action = {"do": "recovery_ticket", "to": args[0], "sla_hours": int(args[1])}
        if action is None:
            raise RuleSyntaxError(number, raw.strip())
        out.append(action)
    return out


def conditions_text(conditions: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['field']} {c['op']} {c['value']}" for c in conditions)


def actions_text(actions: list[dict[str, Any]]) -> str:
    lines = []
    for a in actions:
        verb = a["do"]
        if verb == "notify":
            lines.append(f"notify {a['to']} {a['message']}" + (" urgent" if a.get("urgent")
                                                               else ""))
        elif verb == "add_tag":
            lines.append(f"add_tag {a['tag']}")
        elif verb == "create_task":
            lines.append(f"create_task {a['to']} {a['title']}")
        elif verb == "send_survey":
            lines.append(f"send_survey {a['survey']}")
        elif verb == "recovery_ticket":
            lines.append(f"recovery_ticket {a['to']} {a['sla_hours']}")
        else:
            lines.append(verb)
    return "\n".join(lines)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def holds(condition: dict[str, str], ctx: Context) -> bool:
    """Whether one condition is true; a missing field makes every condition false."""
    actual = lookup(ctx, condition["field"])
    if actual is None:
        return False
    op, expected = condition["op"], condition["value"]
    if op == "in":
        return str(actual).lower() in {v.strip().lower() for v in expected.split(",")}
    if op == "has":
        items = actual if isinstance(actual, list) else [actual]
        return expected.lower() in {str(i).lower() for i in items}
    if isinstance(actual, bool):
        actual = "true" if actual else "false"
    a, b = _number(actual), _number(expected)
    if op in (">", ">=", "<", "<="):
        if a is None or b is None:
            return False
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    equal = (a == b) if a is not None and b is not None else (
        str(actual).lower() == expected.lower())
    return equal if op == "=" else not equal


def all_hold(conditions: list[dict[str, str]], ctx: Context) -> bool:
    return all(holds(c, ctx) for c in conditions)
