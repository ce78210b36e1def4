"""Signal or noise: each KPI's statistical process control verdict in words a board can read (issue 21).

The chart itself is `kpis.core.spc` (NHS England's Making Data Count, as NHSRplotthedots computes it). Here it is
turned into the scorecard's two verdicts:

- **Variation**, from the last point: improvement, concern, a neutral signal, or common-cause variation (no
  signal). A single quarter's movement is mostly noise; a special cause is a signal that something changed.
- **Assurance**, where the KPI has a target: the target against the latest process limits. Above the upper
  limit or below the lower one, the process will consistently pass or fail it; between them, hit and miss.

No verdict is invented from too few points. With fewer than `MIN_POINTS` (7, the shortest run the rules look
for) the words say how many points there are and how many are needed. With fewer than the package's warning
threshold (13) the limits are trial limits, and the words say so.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from kpis.board import rebases as rebasing
from kpis.core import spc
from kpis.core.dates import month_year
from kpis.core.kpi import Kpi, Rebase

MIN_POINTS = 7
# icon name (the package's) -> (shape, short words, the sentence). The shape and the words carry the meaning;
# a colour may only repeat it.
VARIATION = {
    "improvement_high": ("▲", "Improving", "Special cause of improvement: a signal, not chance"),
    "improvement_low": ("▼", "Improving", "Special cause of improvement: a signal, not chance"),
    "concern_high": ("▲", "Worsening", "Special cause of concern: a signal, not chance"),
    "concern_low": ("▼", "Worsening", "Special cause of concern: a signal, not chance"),
    "neutral_high": ("△", "Higher (signal)", "Special cause, higher; this KPI has no better direction"),
    "neutral_low": ("▽", "Lower (signal)", "Special cause, lower; this KPI has no better direction"),
    "common_cause": ("◦", "No signal", "Common-cause variation: no signal, the figures move by chance"),
}
ASSURANCE = {
    "pass": ("✓", "Passes", "Passes: the process will consistently meet the target"),
    "fail": ("✗", "Fails", "Fails: the process will consistently miss the target unless something changes"),
    "inconsistent": ("?", "Hit and miss", "Hit and miss: the target lies within the process limits"),
}
# The package's special-cause types in plain words.
CAUSES = {
    "Above UCL": "a point above the upper limit", "Below LCL": "a point below the lower limit",
    "7 Point Trend (Increasing)": "7 points each higher than the one before",
    "7 Point Trend (Decreasing)": "7 points each lower than the one before",
    "2 in 3 Above CL": "2 of 3 points near the upper limit", "2 in 3 Below CL": "2 of 3 points near the lower limit",
    "7 Points Above CL": "7 points in a row above the mean", "7 Points Below CL": "7 points in a row below the mean",
}


@dataclass(frozen=True)
class Verdict:
    """What the scorecard shows for a KPI's variation and, where it has a target, its assurance."""
    points: int
    icon: str | None               # the package's variation icon name; None: too few points
    shape: str
    short: str                     # the board's one-line cell
    words: str                     # the sentence, for the KPI page and the pack
    cause: str | None              # the special-cause rule that fired at the last point, in words
    trial: bool
    assurance_icon: str | None     # pass, fail, inconsistent; None without a target or a verdict
    assurance_shape: str
    assurance_short: str
    assurance_words: str
    result: spc.SpcResult | None = None
    # The rebases that restart the limits, each moved to the first point on or after its date (`applied`)
    rebases: tuple[Rebase, ...] = ()

    @property
    def signal(self) -> bool:
        return self.icon is not None and self.icon != "common_cause"


def direction(kpi: Kpi) -> str:
    return spc.DIRECTION_OF_POLARITY.get(kpi.polarity, "neutral")


def applied(dates: Sequence[date], rebases: Sequence[Rebase]) -> tuple[Rebase, ...]:
    """Each rebase moved to the first date of the series on or after it (a change on 1 April restarts the limits
    with the quarter or month that ends after it), keeping its reason; rebases after the last point, or on the
    first point (nothing before it to restart from), are left out. Two on one point: the first given."""
    ordered = sorted(dates)
    out: dict[date, Rebase] = {}
    for r in sorted(rebases, key=lambda r: r.date):
        at = next((d for d in ordered if d >= r.date), None)
        if at is None or at == ordered[0]:
            continue
        out.setdefault(at, replace(r, date=at))
    return tuple(out.values())


def verdict(kpi: Kpi, dates: Sequence[date], values: Sequence[float], *, rebase: Sequence[date] = (),
            rebases: Sequence[Rebase] = ()) -> Verdict:
    """The variation and assurance of one series (oldest first or not: it is sorted by date).

    The limits restart at the KPI's own rebases (the framework file's), at `rebases` (e.g. `rebases_for`: those an
    administrator recorded), each on the first point on or after its date, and at `rebase` (dates of the series,
    as in the package).
    """
    n = len(values)
    moved = applied(dates, rebasing.merge(kpi.rebases, tuple(rebases)))
    rebase = sorted(set(rebase) | {r.date for r in moved})
    target = kpi.target.value if kpi.target is not None else None
    no_target = ("–", "No target", "No target set") if target is None else None
    if n < MIN_POINTS:
        reason = (f"Too few points for a signal: {n} of the {MIN_POINTS} needed" if n else "No figures yet")
        assurance = no_target or ("–", "Too few points", f"{reason}, so no assurance either")
        return Verdict(n, None, "–", f"{n} of {MIN_POINTS} points" if n else "No figures", reason, None, False,
                       None, *assurance)
    try:
        result = spc.calculate_spc(list(dates), [float(v) for v in values], improvement_direction=direction(kpi),
                                   target=target, rebase=rebase)
    except spc.SpcError as exc:
        reason = f"No chart: {exc}"
        return Verdict(n, None, "–", "No chart", reason, None, False, None,
                       *(no_target or ("–", "No chart", reason)))
    last = result.points[-1]
    group = result.groups[-1]
    shape, short, words = VARIATION[result.variation_icon]
    cause = CAUSES.get(last.special_cause_type)
    if cause:
        words += f" ({cause})"
    trial = group.trial_limits
    if len(result.groups) > 1:
        since = next((r for r in moved if r.date == group.start), None)
        words += (f". The limits restarted at {month_year(group.start)}" + (f" ({since.reason})" if since else ""))
    if trial:
        short += " (trial)"
        words += f". Trial limits: {group.n} points since the limits were set; they settle at 13"
    if result.assurance_icon is None:
        assurance = no_target or ("–", "No assurance", "This KPI has no better direction, so no assurance")
    else:
        a_shape, a_short, a_words = ASSURANCE[result.assurance_icon]
        assurance = (a_shape, a_short + (" (trial)" if trial else ""),
                     f"{a_words} (target {kpi.format_value(target)}, limits {kpi.format_value(group.lpl)} to "
                     f"{kpi.format_value(group.upl)}" + (", trial limits" if trial else "") + ")")
    return Verdict(n, result.variation_icon, shape, short, words, cause, trial, result.assurance_icon, *assurance,
                   result=result, rebases=moved)
