"""Each fact the pages, packs and charts share is defined once (issue 24), and its users agree.

The source tree (kpis/, app_pages/, dashboard.py) is read as Python, not as text: a literal counts where the code
holds it as a string (a table value, a message, an f-string's format), never in a docstring or a comment, which
may name a fact to explain it.
"""
from __future__ import annotations

import ast
import re
import tomllib
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import pytest

from kpis.access import disclosure
from kpis.analysis import across_areas, dictionary, explore, quality
from kpis.analysis import charts as explorer_charts
from kpis.board import changes, detail, meetings, points, scorecard, tables
from kpis.core import areas, colours, dates, exports, words
from kpis.core.framework import DEFAULT_FRAMEWORK, parse_framework
from kpis.core.periods import financial_quarter
from kpis.packs import pdf, pptx
from kpis.packs.content import PackContent
from kpis.published import relation

ROOT = Path(__file__).resolve().parents[2]
HOME = {  # each fact's one home
    "areas": "kpis/core/areas.py", "colours": "kpis/core/colours.py", "dates": "kpis/core/dates.py",
    "exports": "kpis/core/exports.py", "words": "kpis/core/words.py",
}
REGION_NAMES = ("North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
                "East of England", "London", "South East", "South West")
# A date written with words (day and month name, month and year, weekday), in any spelling of the day.
DATE_FORMAT = re.compile(r"%-?d %[bB]|%[bB] %Y|%A|%-d")


def sources() -> list[Path]:
    return sorted([*ROOT.glob("kpis/**/*.py"), *ROOT.glob("app_pages/**/*.py"), ROOT / "dashboard.py"])


@cache
def strings(path: Path) -> tuple[str, ...]:
    """Every string the module's code holds (f-string parts and format specs included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return tuple(n.value for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings)


def modules_where(found) -> set[str]:
    """The modules (as paths from the project root) holding a string for which `found(text)` is true."""
    return {p.relative_to(ROOT).as_posix() for p in sources() if any(found(s) for s in strings(p))}


def containing(literal: str) -> set[str]:
    return modules_where(lambda s: literal.lower() in s.lower())


def equal_to(words_: str) -> set[str]:
    """Modules holding `words_` as a whole string (a table's value), whatever the case."""
    return modules_where(lambda s: s.strip().lower() == words_.lower())


def test_the_source_tree_is_read():
    assert len(sources()) > 100 and ROOT / "kpis" / "core" / "words.py" in sources()
    # a literal in a docstring is not a definition; the same literal in code is
    assert "E92000001" not in strings(ROOT / "kpis/published/dfe_ees.py")
    assert "E92000001" in strings(ROOT / HOME["areas"])


# -- England, the regions, councils ----------------------------------------------------------------------------------
def test_england_code_is_defined_once():
    assert containing("E92000001") == {HOME["areas"]}
    assert areas.ENGLAND == "E92000001"
    # its users hold the same object, not a copy
    assert relation.ENGLAND is points.ENGLAND is across_areas.ENGLAND is disclosure.ENGLAND_CODE is areas.ENGLAND


@pytest.mark.parametrize("n", range(1, 10))
def test_each_region_code_is_defined_once(n):
    assert containing(f"E1200000{n}") == {HOME["areas"]}


@pytest.mark.parametrize("name", REGION_NAMES)
def test_each_region_name_is_defined_once(name):
    assert equal_to(name) == {HOME["areas"]}
    assert areas.REGIONS[name.lower()].startswith("E12")


def test_regions_agree_with_the_reference_file():
    """The publishers' region names map to the codes areas.csv gives those regions."""
    table = areas.load_areas()
    official = dict(zip(table["name"].str.lower(), table["area_code"], strict=False))
    for name in REGION_NAMES:
        assert areas.REGIONS[name.lower()] == official[name.lower()], name
    assert areas.REGIONS["england"] == areas.ENGLAND


def test_council_type_is_defined_once():
    assert equal_to("county_ua") == {HOME["areas"]}


# -- the licence -----------------------------------------------------------------------------------------------------
def test_licence_is_defined_once_and_the_attribution_names_it():
    assert containing("Open Government Licence") == {HOME["exports"]}
    attribution = f"Contains public sector information licensed under the {exports.LICENCE}."
    assert attribution == exports.OGL_ATTRIBUTION
    assert exports.LICENCE == "Open Government Licence v3.0"


# -- comparison and polarity words -----------------------------------------------------------------------------------
@pytest.mark.parametrize("result", words.RESULTS)
def test_each_comparison_word_is_defined_once(result):
    assert equal_to(words.COMPARISON_WORDS[result]) == {HOME["words"]}
    assert not (equal_to(words.tested_words(result)) - {HOME["words"]})
    if result != "similar":   # 'Similar' alone is also the result's own name, 'similar'
        assert not (equal_to(words.SIGNIFICANCE_WORDS[result]) - {HOME["words"]})


def test_significantly_is_written_in_one_module():
    assert modules_where(lambda s: "Significantly" in s) == {HOME["words"]}


@pytest.mark.parametrize("result", words.RESULTS)
def test_the_board_the_kpi_page_and_the_explorer_use_the_same_comparison_words(result):
    badge = words.COMPARISON_WORDS[result]
    assert scorecard.COMPARISON_BADGES[result] == (relation.SHAPES[result], badge)
    explorer = explore.SIGNIFICANCE_TEXT[result]
    legend = explorer_charts.SIG_STYLE[result][1]
    assert explorer == (badge if result == "similar" else f"Significantly {badge[0].lower()}{badge[1:]}")
    assert legend == ("Similar" if result == "similar" else f"Significantly {result}")
    assert explorer.startswith(legend) and explorer.lower().endswith(badge.lower())
    assert explorer_charts.SHORT_WORDS[result] == result


def test_the_kpi_page_states_a_direction_in_the_badge_words():
    for way, value in (("higher", 3.0), ("lower", 1.0)):
        assert relation.direction_words(value, 2.0, "no_polarity") == (f"{words.COMPARISON_WORDS[way]} "
                                                                        "(neither direction is better)")
        assert relation.direction_words(value, 2.0, "higher_is_better").startswith(words.COMPARISON_WORDS[way])


@pytest.mark.parametrize("polarity", ["higher_is_better", "lower_is_better", "no_polarity"])
def test_each_polarity_word_is_defined_once(polarity):
    assert modules_where(lambda s: s.strip().lower() == words.POLARITY_SHORT[polarity]) == {HOME["words"]}
    assert not (equal_to(words.POLARITY_WORDS[polarity]) - {HOME["words"]})


def test_neither_higher_nor_lower_is_written_once():
    assert containing("neither higher nor lower") == {HOME["words"]}


def test_the_kpi_page_the_packs_and_the_data_dictionary_use_one_polarity_table():
    from kpis.packs import words as pack_words
    assert detail.POLARITY_WORDS is dictionary.POLARITY_WORDS is pack_words.POLARITY_WORDS is words.POLARITY_WORDS


# -- colours ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("colour", ["#A285D1", "#801650", "#28A197", "#F46A25"])
def test_palette_colours_that_only_charts_use_are_defined_once(colour):
    assert containing(colour) == {HOME["colours"]}


@pytest.mark.parametrize("result", words.RESULTS)
def test_the_board_and_the_explorer_give_each_comparison_the_same_colour(result):
    board_fill = tables.BADGE_COLOURS[result][0]
    explorer_fill = explorer_charts.SIG_STYLE[result][0]
    assert board_fill == explorer_fill == colours.COMPARISON_COLOURS[result]
    assert pdf.BADGE_COLOURS is pptx.BADGE_COLOURS is tables.BADGE_COLOURS is colours.BADGE_COLOURS


def test_higher_is_the_light_purple_of_the_palette_as_lower_is():
    """The scorecard's legend gives higher and lower one shape (○: neither direction is better), so one colour,
    from the Analysis Function palette, and neither better's nor worse's."""
    assert relation.SHAPES["higher"] == relation.SHAPES["lower"]
    assert colours.COMPARISON_COLOURS["higher"] == colours.COMPARISON_COLOURS["lower"] == "#A285D1"
    assert colours.COMPARISON_COLOURS["higher"] in colours.PALETTE
    assert colours.COMPARISON_COLOURS["higher"] not in {colours.COMPARISON_COLOURS["better"],
                                                        colours.COMPARISON_COLOURS["worse"]}


# -- dates -----------------------------------------------------------------------------------------------------------
def test_dates_are_formatted_in_one_module():
    assert modules_where(lambda s: bool(DATE_FORMAT.search(s))) == {HOME["dates"]}


def test_dates_read_the_govuk_way():
    day = date(2026, 12, 9)
    assert dates.long_date(day) == "9 December 2026"
    assert dates.short_date(day) == "9 Dec 2026"
    assert dates.weekday_date(day) == "Wednesday 9 December 2026"
    assert dates.month_year(day) == "December 2026"


def test_a_meeting_date_reads_the_same_on_the_board_and_in_the_packs():
    day = date(2026, 12, 9)
    board = meetings.overdue_words("open", day, day + timedelta(days=2))
    pack = PackContent.meeting_text.fget(SimpleNamespace(meeting=day))
    assert board == "Overdue: due 9 December 2026, 2 days ago"
    assert pack == dates.long_date(day) == "9 December 2026"


# -- when a return falls due -----------------------------------------------------------------------------------------
def test_the_return_due_rule_is_defined_once():
    for path in sources():
        if path.relative_to(ROOT).as_posix() == HOME["dates"]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Name)}
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not names & {"RETURN_DUE", "DUE_AFTER"}, path
        assert not functions & {"due_date", "return_due"}, path
    assert containing("six weeks") == {HOME["dates"]}
    assert dates.RETURN_DUE.days == 42 and dates.RETURN_DUE_WORDS == "six weeks"


def test_the_board_and_the_data_quality_page_agree_when_a_return_is_due():
    q = financial_quarter(2026, 3)                                     # October to December 2026
    due = dates.return_due(q)
    assert due == date(2027, 2, 11)
    assert changes.due_quarters(q, due) == [q]                         # the board: due on that day
    assert changes.due_quarters(q, due - timedelta(days=1)) == []      # not the day before
    assert quality.return_due is changes.return_due is dates.return_due


# -- suppression thresholds ------------------------------------------------------------------------------------------
def test_suppression_thresholds_come_from_the_loaded_framework():
    """A framework given as data (no file behind it) still has its thresholds: disclosure reads the Framework,
    never the file again."""
    raw = tomllib.loads(DEFAULT_FRAMEWORK.read_text(encoding="utf-8"))
    kpi = raw["kpis"][0]
    kpi["suppression_threshold"] = 10
    fw = parse_framework(raw)                                          # path "<memory>": no file to read
    limits = disclosure.thresholds(fw)
    assert limits[kpi["id"]] == 10
    assert limits == {k.id: k.suppression_threshold for k in fw.kpis}
    assert "tomllib" not in disclosure.__dict__
