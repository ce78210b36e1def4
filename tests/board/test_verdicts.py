"""Issue 21: every row of every shipped framework's demo scorecard gives the board a verdict it can read, or a
stated reason, in both the Variation and the England cells; one vocabulary for England everywhere.

The demo database of each `data/frameworks/*.toml` is built by the real command line, as a partnership would.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from kpis.board.scorecard import scorecard
from kpis.board.tables import (
    area_cells,
    area_summary,
    group_rows,
    grouped_board_table,
    public_verdicts,
    summary_counts,
    visible_text,
)
from kpis.board.variation import MIN_POINTS
from kpis.core.framework import load_framework
from kpis.published import relation
from kpis.store.database import Store
from tests.conftest import ROOT

FRAMEWORK_FILES = sorted((ROOT / "data" / "frameworks").glob("*.toml"))
KPI_ROW = re.compile(r"^\[?\*\*([A-Z]{1,4}[0-9]{2,3})\*\*")
VARIATION_WORDS = re.compile(rf"^[▲▼△▽◦] (Improving|Worsening|Higher \(signal\)|Lower \(signal\)|No signal)"
                             rf"( \(trial\))?$|^– ([0-{MIN_POINTS - 1}] of {MIN_POINTS} points|No figures|No chart)$")
JUDGED = re.compile(r"\b(better|worse|similar|higher|lower|same)\b", re.IGNORECASE)
REASONS = {"No national figure of this definition", "Published, not loaded here", "Suppressed", "No local figure yet"}
RETIRED = ("No England figure yet", "Not published", "No national comparator", "quartile", "Not compared")


@pytest.fixture(scope="module", params=FRAMEWORK_FILES, ids=[p.stem for p in FRAMEWORK_FILES])
def card(request, demo_master):
    path = request.param
    store = Store(demo_master(path), read_only=True)
    try:
        return load_framework(path), scorecard(store, load_framework(path))
    finally:
        store.close()


def test_at_least_three_frameworks_are_checked():
    assert {"worcestershire", "lincolnshire", "barking_dagenham"} <= {p.stem for p in FRAMEWORK_FILES}


def test_every_row_has_a_variation_verdict_or_a_stated_reason(card):
    framework, rows = card
    table, _, sections = grouped_board_table(rows, "area", link=None, compact=True)
    cells = {KPI_ROW.match(k).group(1): visible_text(v)
             for k, v, s in zip(table["KPI"], table["Variation"], sections, strict=False) if not s}
    assert sorted(cells) == sorted(framework.kpi_ids)
    for kpi_id, cell in cells.items():
        assert VARIATION_WORDS.match(cell), (framework.short_name, kpi_id, cell)
    for r in rows.to_dict("records"):   # the cell says no more than the points allow: no verdict from too few
        assert pd.isna(r["variation_icon"]) == (r["variation_points"] < MIN_POINTS), r["kpi_id"]


def test_every_row_says_how_it_stands_against_england_in_words(card):
    framework, rows = card
    table, _, sections = grouped_board_table(rows, "area", link=None, compact=True)
    england = {KPI_ROW.match(k).group(1): visible_text(v)
               for k, v, s in zip(table["KPI"], table["Compared with England"], sections, strict=False) if not s}
    assert sorted(england) == sorted(framework.kpi_ids)
    for r in rows.to_dict("records"):
        cell, kpi = england[r["kpi_id"]], framework.kpi(r["kpi_id"])
        shape, words = cell.split(" ", 1)
        assert shape in "●◆■○◇–" and shape == r["comparison_symbol"], cell
        assert not any(old in cell or old in (r["england_relation"] or "") for old in RETIRED), cell
        if pd.isna(r["relation_basis"]):          # nothing to compare: one reason, from one vocabulary
            assert shape == "–" and words in REASONS, (r["kpi_id"], cell)
            assert r["england_relation"] in relation.MISSING_REASONS, r["england_relation"]
            continue
        assert JUDGED.search(words), (r["kpi_id"], cell)
        sentence = r["england_relation"]
        if r["relation_basis"] == relation.TESTED:
            assert shape in "●◆■○" and "tested at 95%" in sentence
        elif r["relation_basis"] == relation.DIFFERENCE:   # untested: direction, good or bad, and why not tested
            assert shape == "◇" and "(untested)" in words and "not tested, " in sentence
            if kpi.polarity != "no_polarity" and "same" not in words.lower():
                assert re.search(r": (better|worse)", words) and re.search(r"than England: (better|worse)", sentence)
        else:                                   # a related measure: one sentence, in words, never the KPI's own
            assert words.startswith("Related: ") and sentence.startswith("Related measure (")
            assert "not this KPI's own definition" in sentence
            assert shape in "●◆■○" if pd.notna(r["comparison_tone"]) else shape == "◇"


def test_each_area_has_a_one_line_summary_that_adds_up(card):
    _framework, rows = card
    for name, part in group_rows(rows, "area"):
        n = summary_counts(part)
        line = area_summary(part, name)
        assert line.startswith(f"{name}, {len(part)} KPI") and "\n" not in line
        assert n["improving"] + n["concern"] + n["neutral_signal"] + n["common_cause"] + n["no_verdict"] == len(part)
        if n["improving"] or n["concern"]:
            assert f"{n['improving']} show" in line and f"{n['concern']} concern" in line
        else:
            assert "none shows improvement or concern" in line
        if n["with_target"]:
            assert "hit and miss" in line and ("fail" in line)
            assert "Assurance" in area_cells(part)
        else:
            assert "No targets set" in line and "Assurance" not in area_cells(part)


def test_the_public_view_gets_the_same_verdicts_only_for_the_figures_it_shows(card):
    _framework, rows = card
    rows = rows[rows["latest_period"].notna()].reset_index(drop=True)
    shown = rows[["kpi_id", "latest_period", "value_text"]].rename(columns={"latest_period": "period_label"})
    shown.loc[0, "period_label"] = "an earlier period"      # the board's latest figure is still being checked
    shown.loc[1, "value_text"] = "Suppressed"                # the public figure is suppressed
    cells = public_verdicts(rows, shown)
    assert cells.loc[0, "Variation"] == "– Awaits the published figure"
    assert cells.loc[1, "Compared with England"] in ("– Suppressed", "–") and "pts" not in cells.loc[1].to_string()
    board, _, sections = grouped_board_table(rows, "area", link=None, compact=True)
    by_kpi = {KPI_ROW.match(k).group(1): (v, e) for k, v, e, s in
              zip(board["KPI"], board["Variation"], board["Compared with England"], sections, strict=False) if not s}
    for i in range(2, len(rows)):                            # the rest: the board's own cells, word for word
        kpi_id = rows.loc[i, "kpi_id"]
        assert cells.loc[i, "Variation"] == by_kpi[kpi_id][0]
        tested_or_stated = not pd.isna(rows.loc[i, "relation_basis"])
        assert cells.loc[i, "Compared with England"] == (by_kpi[kpi_id][1] if tested_or_stated else "–")
    assert ("Assurance" in cells) == bool(rows["target"].notna().any())
