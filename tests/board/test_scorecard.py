"""The scorecard's rules, with cases worked by hand, then the whole scorecard on a hand-made store and the demo."""
from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest

from kpis.board.movement import describe_change, movement_is_significant, two_count_p, two_proportion_p
from kpis.board.points import Point
from kpis.board.row import COLUMNS, ScorecardRow
from kpis.board.scorecard import (
    compare_with_england,
    end_of_day,
    meeting_context,
    meetings,
    past_meetings,
    scorecard,
    scorecard_rows,
    target_status,
    trend_words,
)
from kpis.core.stats import TrendResult
from kpis.store.database import Store
from tests.support.board import FRAMEWORK, add_meetings, england_sg02, sg02, submit

warnings.filterwarnings("ignore", category=DeprecationWarning)
EH01 = FRAMEWORK.kpi("EH01")     # percentage, higher is better, no target
SG02 = FRAMEWORK.kpi("SG02")     # percentage, lower is better, target 22.0
EH05 = FRAMEWORK.kpi("EH05")     # count, no polarity
SD05 = FRAMEWORK.kpi("SD05")     # percentage, no polarity


def pct(label: str, num: int, den: int) -> Point:
    return Point(label, None, 100 * num / den, numerator=num, denominator=den)


# -- significance of a movement ---------------------------------------------------------------------
def test_two_proportion_test_by_hand():
    # 60/100 against 50/100: pooled p 0.55, se = sqrt(0.55 x 0.45 x 2/100) = 0.07036, z = 1.421, p = 0.155
    assert two_proportion_p(60, 100, 50, 100) == pytest.approx(0.1552, abs=5e-4)
    # 70/100 against 50/100: pooled 0.6, se 0.06928, z = 2.887, p = 0.0039
    assert two_proportion_p(70, 100, 50, 100) == pytest.approx(0.00389, abs=5e-5)
    assert two_proportion_p(0, 100, 0, 100) == 1.0          # no variation at all: no evidence of change


def test_two_count_test_by_hand():
    # 480 against 400: under one rate each is Bin(880, 0.5); z ~ 40/sqrt(220) = 2.70, p ~ 0.007
    assert 0.005 < two_count_p(480, 400) < 0.01
    # 460 against 410: z ~ 25/sqrt(217.5) = 1.70, p ~ 0.09: not significant at 95%
    assert 0.07 < two_count_p(460, 410) < 0.11
    assert two_count_p(0, 0) == 1.0


def test_movement_falls_back_to_confidence_intervals():
    rate = replace(EH05, unit="rate_per_10000")
    apart = Point("Q2", None, 30.0, lower_ci=27.0, upper_ci=33.0)
    before = Point("Q1", None, 20.0, lower_ci=17.0, upper_ci=23.0)
    overlapping = Point("Q2", None, 22.0, lower_ci=19.0, upper_ci=25.0)
    assert movement_is_significant(rate, apart, before) is True
    assert movement_is_significant(rate, overlapping, before) is False
    assert movement_is_significant(rate, Point("Q2", None, 22.0), before) is None   # nothing to test with


# -- change since the last meeting ---------------------------------------------------------------------
def test_significant_rise_when_higher_is_better_is_getting_better():
    change = describe_change(EH01, pct("Q2", 70, 100), pct("Q1", 50, 100))
    assert change.symbol == "▲" and change.assessment == "better" and change.significant is True
    assert change.words == "Getting better: up 20.0 points from 50.0%"


def test_significant_rise_when_lower_is_better_is_getting_worse():
    change = describe_change(SG02, pct("Q2", 70, 100), pct("Q1", 50, 100))
    assert change.symbol == "▲" and change.words == "Getting worse: up 20.0 points from 50.0%"
    fall = describe_change(SG02, pct("Q2", 50, 100), pct("Q1", 70, 100))
    assert fall.symbol == "▼" and fall.words == "Getting better: down 20.0 points from 70.0%"


def test_small_moves_say_no_significant_change():
    change = describe_change(EH01, pct("Q2", 60, 100), pct("Q1", 50, 100))
    assert change.symbol == "▶" and change.significant is False and change.assessment is None
    assert change.words == "No significant change: up 10.0 points from 50.0%"


def test_no_polarity_says_rise_or_fall_not_better_or_worse():
    change = describe_change(SD05, pct("Q2", 70, 100), pct("Q1", 50, 100))
    assert change.words == "Significant rise: up 20.0 points from 50.0%" and change.assessment is None
    counts = describe_change(EH05, Point("Q2", None, 480.0), Point("Q1", None, 400.0))
    assert counts.words == "Significant rise: up 80 from 400"


def test_same_period_is_no_new_figure_or_a_revision():
    assert describe_change(EH01, pct("Q1", 50, 100), pct("Q1", 50, 100)).words == "No new figure"
    revised = describe_change(EH01, pct("Q1", 52, 100), pct("Q1", 50, 100))
    assert revised.symbol == "–" and revised.words == "No new figure; Q1 revised from 50.0%"


def test_first_figure_and_no_figure():
    assert describe_change(EH01, pct("Q1", 50, 100), None).words == "New since the last meeting"
    assert describe_change(EH01, None, None).words == "No figures yet"
    same = describe_change(EH01, pct("Q2", 50, 100), pct("Q1", 50, 100))
    assert same.symbol == "▶" and same.words == "No change from 50.0%"


def test_short_words_fit_one_line_of_the_scorecard():
    """The scorecard page shows `short`: the meaning and the move, without the earlier figure (on the KPI page)."""
    assert describe_change(EH01, pct("Q2", 70, 100), pct("Q1", 50, 100)).short == "Better: up 20.0 points"
    assert describe_change(SG02, pct("Q2", 70, 100), pct("Q1", 50, 100)).short == "Worse: up 20.0 points"
    assert describe_change(EH01, pct("Q2", 60, 100), pct("Q1", 50, 100)).short == "No significant change"
    assert describe_change(SD05, pct("Q2", 50, 100), pct("Q1", 70, 100)).short == "Fall: down 20.0 points"
    assert describe_change(EH01, pct("Q1", 52, 100), pct("Q1", 50, 100)).short == "No new figure; revised from 50.0%"
    assert describe_change(EH01, pct("Q1", 50, 100), None).short == "New since last meeting"
    assert describe_change(EH01, None, None).short == "No figures yet"
    rate = replace(EH05, unit="rate_per_10000", decimals=1)
    assert describe_change(rate, Point("Q2", None, 22.5),
                           Point("Q1", None, 20.0)).short == "Not tested: up 2.5 per 10,000"


def test_untested_moves_say_so():
    rate = replace(EH05, unit="rate_per_10000", decimals=1)
    change = describe_change(rate, Point("Q2", None, 22.5), Point("Q1", None, 20.0))
    assert change.words == "Not tested: up 2.5 per 10,000 from 20.0" and change.significant is None


# -- comparison with England, target, trend -------------------------------------------------------------
def test_comparison_uses_wilson_interval_when_only_counts_are_stored():
    # 50/100: Wilson 95% interval 40.4% to 59.6%
    local = pct("Q1", 50, 100)
    england = Point("2023/24", None, 62.0)
    assert compare_with_england(EH01, local, england) == ("worse", "■", "Worse than England")
    assert compare_with_england(SG02, local, england) == ("better", "●", "Better than England")
    assert compare_with_england(SG02, local, replace(england, value=59.0)) == ("similar", "◆", "Similar to England")
    no_polarity = replace(SD05, comparator=EH01.comparator)
    assert compare_with_england(no_polarity, local, england)[2] == "Lower than England"


def test_comparison_explains_why_it_was_not_made():
    local = pct("Q1", 50, 100)
    # one vocabulary for why nothing is compared (kpis.published.relation), on every page and in the packs
    assert compare_with_england(EH05, Point("Q1", None, 410.0), None)[2] == "No national figure of this definition"
    assert compare_with_england(SG02, local, None)[2] == ("Published, but not loaded here: run python -m kpis "
                                                          "refresh (or import-benchmarks)")
    assert compare_with_england(SG02, None, None)[2] == "No local figure yet"
    bare = Point("2024/25", None, 68.0)      # a published value with no interval and no counts
    assert compare_with_england(FRAMEWORK.kpi("EH04"), bare, Point("2024/25", None, 67.7)) == \
        ("not compared", "◇", "Not tested: no counts published")


def test_target_status_respects_polarity_and_the_boundary():
    eh04 = FRAMEWORK.kpi("EH04")             # target 68.0, higher is better
    assert target_status(eh04, 68.0) == ("Met", "target 68.0% or more")
    assert target_status(eh04, 67.9)[0] == "Not met"
    assert target_status(SG02, 22.0) == ("Met", "target 22.0% or less")
    assert target_status(SG02, 22.1)[0] == "Not met"
    assert target_status(EH01, 50.0) == ("No target", "No target set")
    assert target_status(SG02, None)[0] == "No data"


def test_trend_words_are_short():
    assert trend_words(TrendResult("Increasing and getting worse", "increasing", 0.0, 5, "worse")) == "Getting worse"
    assert trend_words(TrendResult("Increasing", "increasing", 0.0, 5, None)) == "Increasing"
    assert trend_words(TrendResult("cannot be calculated", "not_enough_data", None, 3)) == "Not enough data"
    assert trend_words(TrendResult("no significant change", "no_change", 0.4, 5)) == "No significant change"


# -- meetings -------------------------------------------------------------------------------------------
def test_meeting_context(store):
    add_meetings(store, date(2025, 3, 12), date(2025, 6, 11), date(2025, 9, 10))
    assert meetings(store) == [date(2025, 3, 12), date(2025, 6, 11), date(2025, 9, 10)]
    as_at, previous = meeting_context(store, date(2025, 6, 11))
    assert as_at == datetime(2025, 6, 11, 23, 59, 59, 999999) and previous == end_of_day(date(2025, 3, 12))
    assert meeting_context(store, date(2025, 3, 12)) == (end_of_day(date(2025, 3, 12)), None)
    # "now": the last meeting held so far is the one to compare with, including one held today
    assert meeting_context(store, None, today=date(2025, 7, 1)) == (None, end_of_day(date(2025, 6, 11)))
    assert meeting_context(store, None, today=date(2025, 9, 10)) == (None, end_of_day(date(2025, 9, 10)))
    assert past_meetings(store, today=date(2025, 7, 1)) == [date(2025, 6, 11), date(2025, 3, 12)]


# -- the whole scorecard on a hand-made store ---------------------------------------------------------------
@pytest.fixture
def board(store):
    """SG02 (lower is better, target 22.0%): three quarterly returns, one revision, England imported once."""
    submit(store, [sg02("2024/25 Q1", 30, 150)], datetime(2024, 8, 5, 10))          # 20.0%
    submit(store, [sg02("2024/25 Q2", 33, 150)], datetime(2024, 11, 5, 10))         # 22.0%
    submit(store, [england_sg02("2022/23", 23.0), england_sg02("2023/24", 23.5), england_sg02("2024/25", 24.5)],
           datetime(2024, 12, 1, 9), kind="import")
    submit(store, [sg02("2024/25 Q3", 54, 150), sg02("2024/25 Q2", 36, 150)],     # 36.0%, and Q2 revised to 24.0%
           datetime(2025, 2, 5, 10))
    add_meetings(store, date(2024, 11, 15), date(2025, 2, 20))
    return store


def row(rows: list[ScorecardRow], kpi_id: str = "SG02") -> ScorecardRow:
    (found,) = [r for r in rows if r.kpi_id == kpi_id]
    return found


def test_scorecard_as_at_the_second_meeting(board):
    as_at, previous = meeting_context(board, date(2025, 2, 20))
    r = row(scorecard_rows(board, FRAMEWORK, as_at=as_at, previous_meeting=previous))
    assert (r.latest_period, r.value_text) == ("2024/25 Q3", "36.0%")
    # compared with what the board saw at the first meeting (22.0%), not the later revision (24.0%)
    assert r.previous_text == "22.0% (2024/25 Q2)"
    # 54/150 against 33/150: pooled 0.29, z = 2.67, p = 0.008, so a real rise; lower is better
    assert r.change_symbol == "▲" and r.change_text == "Getting worse: up 14.0 points from 22.0%"
    # England: the latest period ending on or before 31 Dec 2024 is 2023/24 (2024/25 ends in March 2025)
    assert (r.england_period, r.england_value) == ("2023/24", 23.5)
    # Wilson 95% interval of 54/150 is 28.8% to 43.9%: England's 23.5% lies below it, so worse
    assert r.lower_ci == pytest.approx(28.76, abs=0.01) and r.upper_ci == pytest.approx(43.94, abs=0.01)
    assert (r.comparison, r.comparison_symbol, r.comparison_text) == ("worse", "■", "Worse than England")
    assert (r.target_status, r.target_text) == ("Not met", "target 22.0% or less")
    assert r.trend == "Cannot be calculated"             # three points; the test needs five
    assert r.trend_words == "Not enough data"
    assert r.sparkline == pytest.approx([20.0, 24.0, 36.0])
    assert r.area_name == "Safeguarding" and r.outcome_name == (
        "The right education, health and care interventions")


def test_scorecard_as_at_the_first_meeting_knows_nothing_later(board):
    as_at, previous = meeting_context(board, date(2024, 11, 15))
    r = row(scorecard_rows(board, FRAMEWORK, as_at=as_at, previous_meeting=previous))
    assert (r.latest_period, r.value_text, r.previous_text) == ("2024/25 Q2", "22.0%", "–")
    assert r.change_text == "New since the last meeting"
    assert r.england_value is None and r.comparison_text == (   # England's figure was imported on 1 December
        "Published, but not loaded here: run python -m kpis refresh (or import-benchmarks)")
    assert (r.comparison_symbol, r.comparison_short) == ("–", "Published, not loaded here")
    assert r.target_status == "Met"                      # 22.0% is exactly the target


def test_scorecard_has_every_kpi_in_framework_order(board):
    card = scorecard(board, FRAMEWORK)
    assert card["kpi_id"].to_list() == FRAMEWORK.kpi_ids
    assert card.columns.to_list() == COLUMNS     # the table: one column per field of the row, in order
    rows = scorecard_rows(board, FRAMEWORK)
    assert card.set_index("kpi_id").loc["SG02", "change_text"] == row(rows).change_text
    empty = row(rows, "MH01")
    assert empty.value_text == "No data yet" and empty.change_text == "No figures yet"
    assert scorecard(board, FRAMEWORK, kpi_ids=["SG02"])["kpi_id"].to_list() == ["SG02"]


# -- the demo database ---------------------------------------------------------------------------------
def test_demo_scorecard_changes_between_meetings(demo_db_master):
    s = Store(demo_db_master, read_only=True)
    try:
        at_sep = scorecard_rows(s, FRAMEWORK, as_at=end_of_day(date(2026, 9, 9)),
                                previous_meeting=end_of_day(date(2026, 6, 10)))
        later = scorecard_rows(s, FRAMEWORK, as_at=end_of_day(date(2026, 11, 30)),
                               previous_meeting=end_of_day(date(2026, 9, 9)))
    finally:
        s.close()
    assert row(at_sep).latest_period == "2026/27 Q1" and row(later).latest_period == "2026/27 Q2"
    assert row(later).is_demo and row(later).previous_period == "2026/27 Q1"
    # the EWMH return for 2026/27 Q2 is missing from the demo, so MH02 has no new figure
    assert row(later, "MH02").change_text == "No new figure"
    # SG02 is compared with the DfE's England figure for 2024/25 (24.5%)
    assert (row(later).england_text == "24.5% (2024/25)"
            and row(later).comparison in ("better", "similar", "worse"))


def test_the_board_table_keeps_what_is_known_about_england_in_few_words():
    """Issue 14: a KPI with no interval said only 'Not tested' beside England's figure; a related measure said
    only its name. The one-line cell (`Relation.cell`) keeps the difference, or for a related measure the result
    of its test, else its quartile (A = best), which says which way is good."""
    from kpis.published.relation import Standing, difference_short, related_cell, related_relation, related_short
    assert difference_short(68.0, 68.3, "percentage") == "0.3 pts below"
    assert difference_short(15.2, 14.9, "score") == "0.3 above"
    excess = Standing(indicator_id="lait:ExcessRec", name="Reception: excess weight", short_name="excess weight",
                      period="AY 2024/25", unit="percentage", polarity="lower_is_better", value=20.0, lower=None,
                      upper=None, england=21.0, quartile="B", rank=52, rank_of=151)
    assert related_cell(excess) == "Related: better than most councils"         # quartile B: no jargon
    assert related_short(excess) == ("Related measure (excess weight): better than most councils, in the second "
                                     "quarter of 151")
    assert related_cell(replace(excess, quartile=None)) == "Related: lower, better"   # lower is better here
    assert related_cell(replace(excess, quartile=None, polarity="no_polarity")) == "Related: lower"
    parents = Standing(indicator_id="dfe_ees:c3", name="Parental mental health", short_name="parental mental health",
                       period="2025", unit="percentage", polarity="lower_is_better", value=46.9, lower=45.5,
                       upper=48.4, england=33.5, quartile=None, rank=None, rank_of=None)
    assert related_cell(parents) == "Related: worse than England"           # tested: SG03's verdict, with a shape
    rel = related_relation(parents)
    assert (rel.shape, rel.tone, rel.cell) == ("■", "worse", "Related: worse than England")
    assert rel.words.startswith("Related measure (parental mental health): worse than England (Parental mental "
                                "health, 2025: 46.9% here vs England 33.5%; tested at 95%, interval here 45.5% to "
                                "48.4%)")
