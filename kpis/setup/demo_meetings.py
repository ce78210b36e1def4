"""Seeded synthetic meeting records for the demo: a year of the partnership's meetings with attendance, decisions
and actions (some done, some overdue) and escalations, for any framework, built from its meeting dates, its
sub-groups, its KPIs and the body it reports to. Every record is flagged `is_demo` and shown as demo data.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np

from kpis.access.permissions import Actor
from kpis.board.scorecard import meetings
from kpis.core.framework import Framework
from kpis.governance.actions import record_action, record_decision, update_action
from kpis.governance.escalations import record_escalation, record_outcome
from kpis.governance.meetings import record_attendance
from kpis.setup.demo import DEMO_SUBMITTER, SEED
from kpis.store.database import Store, now
from kpis.store.governance import has_demo_records

DEMO_SECRETARY = Actor(email=DEMO_SUBMITTER, role="secretary")
MAX_MEETINGS = 8
# Partner members most children's partnerships have (seeds 000, 003, 004), beside a lead for each sub-group.
# The names are made up for the demo.
CORE_MEMBERS = [
    ("Alex Morgan", "Chair; Director of Children's Services, the council"),
    ("Priya Shah", "Director of Public Health, the council"),
    ("Sam O'Neill", "Designated Nurse for Safeguarding, Integrated Care Board"),
    ("Chris Walker", "Detective Superintendent, Public Protection, Police"),
    ("Jo Adeyemi", "Head teacher representative, schools"),
    ("Ruth Evans", "Chief Executive, voluntary and community sector alliance"),
]
LEAD_NAMES = ["Dan Hughes", "Mei Lin", "Tom Baker", "Nadia Rahman", "Owen Price", "Grace Kelly"]
DEPUTY = "Deputy for {member}"
ACTIONS = [
    "{sub_group} to bring a deep dive on {kpi} to the next meeting",
    "{sub_group} to check why the {period} return for {kpi} was late, and report back",
    "Partners to share their workforce plans with the {sub_group}",
    "Public health to add {kpi} for each district to the next scorecard",
]
DECISIONS = [
    "Agreed the scorecard for {period} and the sub-groups' narratives",
    "Agreed to keep {kpi} under review at every meeting while it shows a signal",
]
ESCALATION_REASONS = [
    "Waiting times for {area} assessments have risen for three quarters and the partnership cannot add capacity "
    "on its own",
    "Data sharing on {kpi} with one partner has been delayed for six months",
]
OUTCOMES = ["Accepted: a joint review was commissioned and will report in six months",
            "Noted: the board asked partners to fund two extra posts for a year",
            "Referred to the Integrated Care Board's quality committee"]


def _at(day: date, hour: int = 17) -> datetime:
    return datetime.combine(day, time(hour, 0))


def demo_meeting_dates(store: Store, today: date) -> list[date]:
    """The meetings held up to `today`, oldest first: the last `MAX_MEETINGS` (two years of quarterly meetings),
    so that the latest complete financial or academic year is covered."""
    return [m for m in meetings(store) if m <= today][-MAX_MEETINGS:]


def add_demo_meetings(store: Store, framework: Framework, *, today: date | None = None) -> int:
    """Attendance, decisions, actions and escalations for each demo meeting; returns how many records."""
    today = today or now().date()
    if has_demo_records(store):
        return 0
    rng = np.random.default_rng(SEED + 23)
    members = list(CORE_MEMBERS) + [(LEAD_NAMES[i % len(LEAD_NAMES)], f"Chair, {area.sub_group}")
                                    for i, area in enumerate(framework.areas)]
    body = framework.reports_to or "Health and Wellbeing Board"
    dates = demo_meeting_dates(store, today)
    n = 0
    for i, day in enumerate(dates):
        at = _at(day)
        for member, role in members:
            status = str(rng.choice(["present", "substitute", "apologies", "absent"], p=[0.74, 0.12, 0.1, 0.04]))
            sub = status == "substitute"
            record_attendance(store, actor=DEMO_SECRETARY, meeting_date=day, organisation=role, status=status,
                              member=DEPUTY.format(member=member) if sub else member,
                              substitute_for=member if sub else None, at=at, is_demo=True)
            n += 1
        area = framework.areas[i % len(framework.areas)]
        kpis = framework.kpis_in_area(area.id) or list(framework.kpis)
        kpi = kpis[int(rng.integers(len(kpis)))]
        words = {"sub_group": area.sub_group, "kpi": f"{kpi.short_title} ({kpi.id})", "area": area.name,
                 "period": _quarter_before(day)}
        for text in DECISIONS:
            record_decision(store, actor=DEMO_SECRETARY, meeting_date=day, text=text.format(**words), published=True,
                            at=at, is_demo=True)
            n += 1
        for j, text in enumerate(ACTIONS[:3]):
            due = day + timedelta(weeks=int(rng.integers(6, 12)))
            owner = members[len(CORE_MEMBERS) + (i + j) % len(framework.areas)][0]
            rid = record_action(store, actor=DEMO_SECRETARY, meeting_date=day, text=text.format(**words), owner=owner,
                                due_date=due, published=j != 2, at=at, is_demo=True)
            n += 1
            _progress(store, rid, j, i, len(dates), due, today)
        if i % 2 == 0:
            reason = ESCALATION_REASONS[(i // 2) % len(ESCALATION_REASONS)].format(**words)
            to = body if i % 4 == 0 else "Safeguarding Children Partnership"
            rid = record_escalation(store, actor=DEMO_SECRETARY, meeting_date=day, escalated_on=day + timedelta(days=3),
                                    body=to, reason=reason, at=_at(day + timedelta(days=3)), is_demo=True)
            n += 1
            decided = day + timedelta(days=45)
            if decided < today:
                record_outcome(store, actor=DEMO_SECRETARY, record_id=rid, outcome=OUTCOMES[(i // 2) % len(OUTCOMES)],
                               outcome_on=decided, at=_at(decided + timedelta(days=2)))
    return n


def _progress(store: Store, rid: int, j: int, i: int, meetings_held: int, due: date, today: date) -> None:
    """Move a demo action on as the year went: most done (a little before or after the date), one dropped, and
    those of the later meetings still open, some of them overdue."""
    started = min(due - timedelta(weeks=3), today)
    if started > due - timedelta(weeks=6):
        update_action(store, actor=DEMO_SECRETARY, record_id=rid, status="in_progress", at=_at(started, 10))
    late = i >= meetings_held - 2 or (j == 1 and i % 3 == 1)
    if late:
        return  # still open or in progress: overdue once its date has passed
    finished = due + timedelta(days=(7 if j == 0 else -5))
    if finished < today:
        update_action(store, actor=DEMO_SECRETARY, record_id=rid, status="dropped" if (i, j) == (1, 2) else "done",
                      at=_at(finished, 11))


def _quarter_before(day: date) -> str:
    """The financial quarter before the one a meeting falls in, as a label ("2025/26 Q2")."""
    q_end = date(day.year, ((day.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    start_year = q_end.year if q_end.month >= 4 else q_end.year - 1
    quarter = ((q_end.month - 4) % 12) // 3 + 1
    return f"{start_year}/{str(start_year + 1)[-2:]} Q{quarter}"
