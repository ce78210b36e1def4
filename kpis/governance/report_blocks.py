"""The annual report as an ordered list of blocks (headings, paragraphs, lists, tables, charts), so that the Word
document (`report_docx`) and the PDF (`report_html`) have the same sections in the same order.

Levels: the title is 1; each section is 2; each outcome area or sub-section is 3; a narrative's period is 4. The
Word document maps them onto Title, Heading 1, Heading 2 and Heading 3; the HTML onto h1 to h4.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from kpis.core.dates import long_date
from kpis.governance.annual_report import CHANGE_TABLES, DEMO_NOTE, AnnualReport
from kpis.governance.report_charts import Chart, actions_chart, attendance_chart


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    label: str = ""          # bold words before the text ("Progress:")
    demo: bool = False       # the demo notice: shown boxed


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class TableBlock:
    caption: str
    frame: pd.DataFrame      # the first column heads each row


Block = Heading | Para | Bullets | TableBlock | Chart
ATTENDANCE_KEY = ("P present; S a substitute came in the member's place; A apologies sent; X absent without "
                  "apologies; – not on the list for that meeting. Attended counts a member present or substituted.")


def _summary(r: AnnualReport) -> list[str]:
    s = r.actions_summary
    kpis = pd.concat([a.kpis for a in r.areas]) if r.areas else pd.DataFrame(columns=["Compared with England"])
    compared = kpis["Compared with England"].str.split(" ", n=1).str[-1].str.lower()
    escalated = len(r.escalations)
    answered = int((r.escalations["Outcome"] != "No outcome recorded yet").sum()) if escalated else 0
    signals = len(r.changes["new_signals"])
    return [
        f"The partnership met {len(r.meetings_held)} time{'s' if len(r.meetings_held) != 1 else ''} in the year.",
        f"Of its {len(kpis)} KPIs, {int(compared.str.startswith('better').sum())} were better than England, "
        f"{int(compared.str.startswith('similar').sum())} similar and {int(compared.str.startswith('worse').sum())} "
        "worse at the end of the year; the others could not be compared.",
        f"{signals} KPI{' shows' if signals == 1 else 's show'} a new signal on its statistical process control chart.",
        f"{s['opened']} actions were agreed and {s['closed']} closed; {s['open_at_end']} were open at the end of "
        f"the year, {s['overdue_at_end']} of them overdue.",
        f"{escalated} issue{' was' if escalated == 1 else 's were'} escalated; {answered} "
        f"{'has' if answered == 1 else 'have'} an outcome recorded.",
    ]


def report_blocks(r: AnnualReport, *, charts: bool = True,
                  progress: Callable[[str], None] | None = None) -> list[Block]:
    """Every block of the report, in order. `charts=False` leaves the two charts out (their numbers stay)."""
    say = progress or (lambda _message: None)
    out: list[Block] = [Heading(1, r.title),
                        Para(f"The annual report of the {r.partnership} for {r.year.words}, for {r.reports_to}. "
                             f"Its figures and the sub-groups' words are those known on {long_date(r.as_at)}, once the "
                             "last quarter's returns were in; its actions and decisions are as they stood at the end "
                             "of the year.")]
    if r.is_demo:
        out.append(Para(DEMO_NOTE, label="Demo data.", demo=True))
    out += [Para(n) for n in r.notes]
    out += [Heading(2, "Summary"), Bullets(_summary(r))]

    out.append(Heading(2, "Outcome areas and their KPIs"))
    out.append(Para("Each KPI's latest figure at the end of the year, England's figure for the same or the latest "
                    "earlier period, the comparison with England, the change over the year and the signal on its "
                    "statistical process control (SPC) chart. ● better, ◆ similar, ■ worse than England; ▲ ▼ a "
                    "significant change, ▶ no significant change."))
    for area in r.areas:
        out += [Heading(3, area.name), Para(f"Reported by the {area.sub_group}.")]
        out.append(TableBlock(f"{area.name}: KPIs at the end of {r.year.label}", area.kpis))
        if not area.narratives:
            out.append(Para(f"The {area.sub_group} sent no narrative for a period of {r.year.label}."))
        for n in area.narratives:
            out.append(Heading(4, f"What the {area.sub_group} said, {n.period}" + (" (demo)" if n.is_demo else "")))
            out += [Para(text, label=f"{heading}:") for heading, text in n.parts.items()]

    out.append(Heading(2, "What changed over the year"))
    for key, heading in CHANGE_TABLES.items():
        frame = r.changes[key]
        out.append(Heading(3, heading))
        out.append(TableBlock(f"{heading}, {r.year.label}", frame) if not frame.empty else Para("None in the year."))

    say("Drawing the charts")
    out.append(Heading(2, "Meetings and attendance"))
    held = ", ".join(long_date(m) for m in r.meetings_held) or "none"
    out.append(Para(f"Meetings held in the year: {held}."))
    chart = attendance_chart(r) if charts else None
    if chart is not None:
        out.append(chart)
    out.append(Heading(3, "Attendance record"))
    out.append(Para(ATTENDANCE_KEY))
    out.append(TableBlock(f"Attendance of each member at the meetings of {r.year.label}", r.attendance)
               if not r.attendance.empty else Para("No attendance was recorded for the year's meetings."))

    out.append(Heading(2, "Decisions and actions"))
    s = r.actions_summary
    out.append(Para(f"{s['opened']} actions were agreed at the year's meetings and {s['closed']} were closed (done "
                    f"or dropped) during the year. At the end of the year {s['open_at_end']} were open, "
                    f"{s['overdue_at_end']} of them overdue."))
    chart = actions_chart(r) if charts else None
    if chart is not None:
        out.append(chart)
    out.append(Heading(3, "Actions agreed in the year"))
    out.append(TableBlock(f"Actions agreed at the meetings of {r.year.label}, with their status at the end of the "
                          "year", r.actions) if not r.actions.empty else Para("No actions were recorded."))
    out.append(Heading(3, "Decisions"))
    out.append(TableBlock(f"Decisions taken at the meetings of {r.year.label}", r.decisions)
               if not r.decisions.empty else Para("No decisions were recorded."))

    out.append(Heading(2, "Escalations"))
    out.append(TableBlock(f"Issues escalated in {r.year.label} and their outcomes", r.escalations)
               if not r.escalations.empty else Para("Nothing was escalated in the year."))

    out.append(Heading(2, "Self-assessment"))
    if r.self_assessment is None:
        out.append(Para(f"No self-assessment has been recorded for {r.year.label}."))
    else:
        out.append(TableBlock(f"Self-assessment {r.year.label}: each statement's rating, evidence and agreed "
                              "actions", r.self_assessment.rows))

    out.append(Heading(2, "About this report"))
    out.append(Para("Figures come from the sub-groups' quarterly returns and from published national statistics "
                    "(Department for Education, Office for Health Improvement and Disparities), as held by the KPI "
                    "dashboard; each figure's source and period are on the dashboard's KPI pages. The meeting "
                    "records are those kept by the board's secretary; every change to them is kept with who made "
                    "it and when."))
    if r.is_demo:
        out.append(Para(DEMO_NOTE, label="Demo data.", demo=True))
    return out
