"""Issue 26: no text in a return may be long enough to slow a page down or swell the database.

Commentary has a limit like the narrative's; a cell that should hold a KPI id, breakdown, period, status,
number or marker is refused (with a short quote of it) when it is far too long to be one. The rules are
tested directly with long strings, since the workbook reader may shorten cell text before they see it, and
through whole returns written with openpyxl (which itself keeps at most 32,767 characters of a cell).
"""
import io

import pytest
from openpyxl import load_workbook

from kpis.core.text import CELL_MAX_CHARS, COMMENTARY_MAX_CHARS, QUOTE_CHARS, quote, shortened
from kpis.returns.cells import read_number, show
from kpis.returns.layout import marker_status, parse_status
from kpis.returns.row_context import Context, Row
from kpis.returns.rules import (
    rule_breakdown_allowed,
    rule_commentary_not_formula,
    rule_commentary_not_too_long,
    rule_kpi_known,
    rule_numbers_readable,
    rule_period_readable,
    rule_status,
)
from kpis.returns.submission import ReturnRejected, check_return, submit
from tests.support.returns import PERIOD, TODAY, fw, simple_return, snapshot, to_bytes
from tools.sample_returns import filled_template

ALL = "All children and young people"
BY = "lead@example.org"
SHORT = 400          # no message or 'found' about a long cell may be longer than this


def row(fw, **raw) -> tuple[Row, Context]:
    ctx = Context(framework=fw, area_id="safeguarding", today=TODAY)
    base = {"kpi_id": "SG01", "breakdown": None, "period": PERIOD, "value": 60, "numerator": None,
            "denominator": None, "status": None, "commentary": None}
    r = Row("Data", 2, {**base, **raw})
    r.kpi = fw.kpi("SG01")
    return r, ctx


def short(problems) -> None:
    for p in problems:
        assert len(p.message) < SHORT and len(p.found) < SHORT and len(p.expected) < SHORT, p


# -- the rules, given long strings directly ------------------------------------------------------------
def test_a_19_9_million_character_commentary_is_refused_in_plain_words(fw):
    r, ctx = row(fw, commentary=("Improved. " * 1_990_000)[:-1] + "!")
    problems = rule_commentary_not_too_long(r, ctx) + rule_commentary_not_formula(r, ctx)
    assert [p.message for p in problems] == ["Commentary is 19,900,000 characters; at most 2,000 are allowed. "
                                             "Shorten it."]
    p = problems[0]
    assert p.row == 2 and p.is_error and r.failed and r.commentary is None
    assert p.found.startswith("19,900,000 characters, starting 'Improved. Improved.") and p.expected == \
        "at most 2,000 characters"
    short(problems)


def test_commentary_up_to_the_limit_is_kept_whole(fw):
    text = "x" * COMMENTARY_MAX_CHARS
    r, ctx = row(fw, commentary=text)
    assert rule_commentary_not_too_long(r, ctx) + rule_commentary_not_formula(r, ctx) == []
    assert r.commentary == text and not r.failed
    r, ctx = row(fw, commentary=text + "x")
    assert len(rule_commentary_not_too_long(r, ctx)) == 1 and r.failed


def test_a_20_mb_kpi_id_is_refused_with_a_short_quote(fw):
    r, ctx = row(fw, kpi_id="SG01" * 5_000_000)
    problems = rule_kpi_known(r, ctx)
    assert len(problems) == 1 and r.kpi is None and r.failed
    assert problems[0].message.startswith("The KPI id is 20,000,000 characters; at most 200 are allowed.")
    assert "SG01SG01" in problems[0].found
    short(problems)
    r, ctx = row(fw, kpi_id="XX" + "9" * 150)          # long, but under the limit: quoted short all the same
    problems = rule_kpi_known(r, ctx)
    assert "is not a KPI id" in problems[0].message and "(152 characters)" in problems[0].message
    short(problems)


def test_long_breakdown_period_status_and_numbers_are_refused_with_short_messages(fw):
    long = "a" * 20_000_000
    r, ctx = row(fw, breakdown="District: " + long)
    problems = rule_breakdown_allowed(r, ctx)
    assert problems[0].message.startswith("The breakdown is 20,000,010 characters; at most 200 are allowed.")
    assert r.breakdown is None and r.failed
    short(problems)
    for raw in ({"period": "2025/26 Q2" + long}, {"value": "6" * 20_000_000}, {"numerator": long},
                {"status": "Published" + "!" * 20_000_000}):
        r, ctx = row(fw, **raw)
        problems = (rule_period_readable(r, ctx) if "period" in raw else rule_numbers_readable(r, ctx)
                    if "status" not in raw else (rule_numbers_readable(r, ctx), rule_status(r, ctx))[1])
        assert len(problems) == 1 and r.failed, raw
        short(problems)


def test_a_long_text_is_never_a_marker_so_never_a_long_status_note(fw):
    assert marker_status("<" + "9" * 1000) is None and marker_status("n" + " " * 1000 + "a") is None
    assert marker_status("<5") == "suppressed" and marker_status("not applicable") == "not_applicable"
    assert parse_status("Published" + "!" * 1000) is None and parse_status("Suppressed (small number)")
    assert read_number("n" + " " * 10_000 + "a").problem and read_number("n/a").status == "not_available"
    r, ctx = row(fw, value="<" + "9" * 20_000_000)
    problems = rule_numbers_readable(r, ctx) + rule_status(r, ctx)
    assert len(problems) == 1 and r.status_note is None
    short(problems)


def test_quotes_and_shortening():
    assert quote("SG99") == "SG99" and show("  SG99 ") == "SG99"
    assert quote("x" * 1_000_000) == "x" * QUOTE_CHARS + "… (1,000,000 characters)" and QUOTE_CHARS == 60
    assert len(show("y" * 1_000_000)) < 90 and show(12.0) == "12"
    assert shortened(None) is None and shortened("ok") == "ok"
    assert shortened("z" * 5000) == "z" * 2000 + " … [shortened: 5,000 characters in all]"
    assert CELL_MAX_CHARS < COMMENTARY_MAX_CHARS


# -- whole returns, written with openpyxl -----------------------------------------------------------------
def test_a_return_with_seven_long_commentaries_is_refused_and_nothing_is_stored(fw, store):
    data = filled_template(fw, "safeguarding")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Data"]
    col = [c.value for c in ws[1]].index("Commentary") + 1
    filled = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value][:7]
    for r in filled:
        ws.cell(r, col).value = "Long." * 6_000            # 30,000 characters each
    before = snapshot(store)
    with pytest.raises(ReturnRejected) as err:
        submit(store, fw, name="long.xlsx", data=to_bytes(wb), area_id="safeguarding", by=BY, today=TODAY)
    errors = err.value.checked.errors
    assert [p.row for p in errors] == filled
    assert {p.message for p in errors} == {"Commentary is 30,000 characters; at most 2,000 are allowed. "
                                           "Shorten it."}
    assert {p.column for p in errors} == {"J (Commentary)"}
    short(errors)
    assert snapshot(store) == before


def test_a_return_with_commentary_at_the_limit_is_stored_whole(fw, store):
    text = ("Referrals rose after the new front door opened. " * 41)[:COMMENTARY_MAX_CHARS - 1] + "."
    data = simple_return([["SG01", ALL, PERIOD, 60, None, None, None, text]])
    receipt = submit(store, fw, name="ok.xlsx", data=data, area_id="safeguarding", by=BY, today=TODAY)
    assert receipt.stored
    assert store.scalar("SELECT commentary FROM current_observations WHERE indicator_id = 'SG01'") == text


def test_a_return_with_a_long_kpi_id_and_breakdown_lists_short_problems(fw):
    data = simple_return([["SG01" * 5_000, ALL, PERIOD, 60], ["SG01", "District: " + "b" * 20_000, PERIOD, 60],
                          ["SG02", ALL, PERIOD, "<" + "5" * 20_000]])
    checked = check_return(None, fw, name="ids.xlsx", data=data, area_id="safeguarding", today=TODAY)
    assert [p.row for p in checked.errors] == [2, 3, 4] and checked.rows.empty
    assert checked.errors[0].message.startswith("The KPI id is 20,000 characters; at most 200 are allowed.")
    assert checked.errors[1].message.startswith("The breakdown is 20,010 characters; at most 200 are allowed.")
    short(checked.problems)


def test_commentary_stored_before_the_limit_comes_back_shortened_in_preview_and_history(fw, store):
    from kpis.returns.submission import history, preview
    submit(store, fw, name="q.xlsx", data=simple_return([["SG01", ALL, PERIOD, 60, None, None, None, "Fine."]]),
           area_id="safeguarding", by=BY, today=TODAY)
    with store.transaction() as cur:        # as a return accepted before there was a limit left it
        cur.execute("UPDATE observations SET commentary = repeat('y', 19900000) WHERE indicator_id = 'SG01'")
    shown = "y" * 2000 + " … [shortened: 19,900,000 characters in all]"
    assert history(store, "SG01", fw)["commentary"].tolist() == [shown]
    checked = check_return(store, fw, name="q2.xlsx", area_id="safeguarding", today=TODAY,
                           data=simple_return([["SG01", ALL, PERIOD, 60, None, None, None, "y" * 2000]]))
    pv = preview(store, fw, checked)
    assert pv.counts == {"new": 0, "changed": 1, "unchanged": 0}       # 2,000 y's are not the 19.9 million
    assert store.scalar("SELECT length(commentary) FROM observations") == 19_900_000


def test_a_long_column_header_is_quoted_short_wherever_a_problem_names_its_column(fw):
    header = "Commentary" + " !" * 15_000
    data = simple_return([["SG01", ALL, PERIOD, 60, None, None, None, "=HYPERLINK(\"x\")"]],
                         headers=["KPI id", "Breakdown", "Period", "Value", "Numerator", "Denominator", "Status",
                                  header])
    checked = check_return(None, fw, name="h.xlsx", data=data, area_id="safeguarding", today=TODAY)
    p = checked.errors[0]
    assert p.column.startswith("H (Commentary ! !") and p.column.endswith("(30,010 characters))")
    assert len(p.column) < 90 and len(p.where) < 130
