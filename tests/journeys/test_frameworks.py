"""Every shipped framework through the whole path: init --demo, a template per sub-group filled with openpyxl,
validate, submit, the scorecard, every page (AppTest), every pack format; and the demo never contradicts
a published figure of the home area.

The partnership's facts (name, home area, districts, groups, icons) live only in the framework TOML: a
test below reads the product's source for any of them.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages._area import url_path
from kpis.cli.main import main
from kpis.core.areas import region_name
from kpis.core.framework import load_framework
from kpis.returns.layout import DATA_SHEET, HEADERS
from kpis.store.database import Store
from tests.conftest import ROOT
from tests.support.apptest import ok, texts

warnings.filterwarnings("ignore", category=DeprecationWarning)
FRAMEWORK_FILES = sorted((ROOT / "data" / "frameworks").glob("*.toml"))
NAMES = [p.stem for p in FRAMEWORK_FILES]
PERIOD, TODAY = "2026/27 Q3", "2027-01-20"      # the quarter after the demo's last one, judged after it ended
TIMEOUT = 60


def test_four_frameworks_are_shipped():
    assert len(FRAMEWORK_FILES) >= 4
    homes = [load_framework(p).home_area for p in FRAMEWORK_FILES]
    assert len(set(homes)) == len(homes)


@pytest.fixture(scope="module", params=FRAMEWORK_FILES, ids=NAMES)
def built(request, demo_master, tmp_path_factory):
    """(framework file, demo database): this module's own copy of the framework's demo database, which the real
    command line built once per session."""
    path = request.param
    db = tmp_path_factory.mktemp(path.stem) / "demo.duckdb"
    shutil.copy(demo_master(path), db)
    return path, db


def read_only_copy(db: Path, tmp_path: Path) -> Store:
    """The database opened read-only from a copy: the page test's app may still hold the file in this process."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    if Path(f"{db}.wal").exists():
        shutil.copy(f"{db}.wal", f"{copy}.wal")
    return Store(copy, read_only=True)


def _cli(capsys, path: Path, db: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--framework", str(path), "--db", str(db), *args])
    return code, capsys.readouterr().out


def _number(text) -> float | None:
    m = re.search(r"-?\d[\d,]*\.?\d*", str(text or ""))
    return float(m.group(0).replace(",", "")) if m else None


def fill_return(template: bytes, framework) -> tuple[bytes, dict]:
    """Fill every data row the way a lead would, near last quarter's value; returns the file and the
    'all' values written, {kpi id: value}."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    col = {key: header.index(h) + 1 for key, h in HEADERS.items()}
    last_col = next(i + 1 for i, h in enumerate(header) if str(h).startswith("Last quarter: value"))
    written = {}
    for r in range(2, ws.max_row + 1):
        kpi_id = ws.cell(r, col["kpi_id"]).value
        if not kpi_id:
            continue
        kpi = framework.kpi(kpi_id)
        last = _number(ws.cell(r, last_col).value)
        if kpi.unit == "percentage":
            den = 400
            num = round((last if last is not None else 50.0) / 100 * den)
            value = round(100 * num / den, 1)
            ws.cell(r, col["numerator"]).value, ws.cell(r, col["denominator"]).value = num, den
        else:
            value = round(last if last is not None else 100)
        ws.cell(r, col["value"]).value = value
        if r == 2 or ws.cell(r, col["breakdown"]).value == framework.breakdowns["all"]:
            written.setdefault(kpi_id, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), written


def test_templates_returns_submissions_and_scorecard(built, capsys, tmp_path):
    path, db = built
    fw = load_framework(path)
    submitted = {}
    for area in fw.areas:
        out = tmp_path / f"{area.id}.xlsx"
        code, said = _cli(capsys, path, db, "template", area.id, "--period", PERIOD, "-o", str(out))
        assert code == 0 and "Traceback" not in said
        reported = [k for k in fw.kpis_in_area(area.id) if k.frequency == "quarterly"]
        filled, written = fill_return(out.read_bytes(), fw)
        assert set(written) == {k.id for k in reported}
        ret = tmp_path / f"{area.id}-filled.xlsx"
        ret.write_bytes(filled)
        if not reported:       # a sub-group whose KPIs are all published ones: no figures, but a narrative
            code, said = _cli(capsys, path, db, "validate", str(ret), "--area", area.id, "--today", TODAY)
            assert code == 1 and "no figures and no narrative" in said and "Traceback" not in said
            wb = load_workbook(ret)
            wb["Narrative"]["B4"] = f"{area.sub_group}: progress this quarter."
            wb.save(ret)
            code, said = _cli(capsys, path, db, "submit", str(ret), "--area", area.id, "--by", "lead@example.org",
                              "--json", "--today", TODAY)
            assert code == 0, said
            receipt = json.loads(said)
            assert receipt["narrative_stored"] and receipt["period_label"] == PERIOD and receipt["batch_id"]
            continue
        code, said = _cli(capsys, path, db, "validate", str(ret), "--area", area.id, "--json", "--today", TODAY)
        result = json.loads(said)
        assert code == 0, [p for p in result["problems"] if p.get("severity") == "error"]
        code, said = _cli(capsys, path, db, "submit", str(ret), "--area", area.id, "--by", "lead@example.org",
                          "--json", "--today", TODAY)
        assert code == 0, said
        submitted.update(written)
    assert submitted, "every framework has at least one quarterly KPI"
    code, said = _cli(capsys, path, db, "scorecard", "--json")
    assert code == 0
    rows = {r["kpi_id"]: r for r in json.loads(said)}
    assert set(rows) == set(fw.kpi_ids)
    for kpi_id, value in submitted.items():   # the return just sent is the newest local figure
        assert rows[kpi_id]["period"] == PERIOD and rows[kpi_id]["value"] == pytest.approx(value, abs=0.05)


def _pages(fw) -> list[str]:
    return [f"app_pages/{name}.py" for name in ("home", "scorecard", "changes", "board_pack", "upload", "explorer",
                                                "definitions", "data_quality", "sql", "admin", "imports", "public",
                                                "accessibility")]


def test_every_page_serves_the_framework(built, app_env, monkeypatch):
    path, db = built
    fw = load_framework(path)
    monkeypatch.setenv("KPIS_FRAMEWORK", str(path))
    app_env(db)
    others = [load_framework(p) for p in FRAMEWORK_FILES if p != path]
    foreign = [o.name for o in others] + [n for o in others for n in o.districts.values()]

    def check(at: AppTest, where: str) -> str:
        ok(at)
        # a page turns a failure into a plain message instead of a traceback: on a page just opened, that is a fault
        failed = [e.value for e in at.error if "went wrong" in str(e.value)]
        assert not failed, f"{where}: {failed}"
        body = texts(at)
        leaked = [f for f in foreign if re.search(rf"\b{re.escape(f)}\b", body)]
        assert not leaked, f"{where} shows another partnership's facts: {leaked}"
        return body

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()
    home = check(at, "home")
    assert [t.value for t in at.title] == [fw.name] and fw.reports_to in home
    assert [s.value for s in at.header][:len(fw.areas)] == [a.name for a in fw.areas]  # h2s under the h1
    for page in _pages(fw):
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()
        check(at.switch_page(page).run(), page)
    for area in fw.areas:
        at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
        at._page_hash = calc_hash(url_path(area.id))
        check(at.run(), area.id)
        assert [t.value for t in at.title] == [area.name]
    for kpi in fw.kpis:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()
        at.query_params.update({"kpi": kpi.id})
        check(at.switch_page("app_pages/kpi.py").run(), f"KPI {kpi.id}")


def test_every_pack_format(built, tmp_path):
    from kpis.packs.build import build_pack
    from tests.support.browser import chromium_path
    chromium_path()
    path, db = built
    fw = load_framework(path)
    store = read_only_copy(db, tmp_path)
    try:
        meeting = date.fromisoformat(fw.meetings[-1])
        for report, fmt in (("board", "pdf"), ("board", "pptx"), ("board", "xlsx"), ("hwbb", "pptx")):
            pack = build_pack(store, fw, meeting=meeting, report=report, fmt=fmt)
            assert len(pack.data) > 5_000, (report, fmt)
    finally:
        store.close()


# -- the demo never contradicts a published figure ------------------------------------------------------
def test_demo_values_never_contradict_the_home_areas_published_figures(built, tmp_path):
    """For every KPI with a published home-area series: a demo value in a period the publication covers is
    either the published figure itself, or one of the quarters that add up to it."""
    path, db = built
    fw = load_framework(path)
    store = read_only_copy(db, tmp_path)
    try:
        checked = 0
        for kpi in fw.kpis:
            if kpi.comparator is None:
                continue
            pub = store.df("SELECT * FROM current_observations WHERE indicator_id = ? AND area_code = ? "
                           "AND value IS NOT NULL", [kpi.comparator.indicator_id, fw.home_area])
            demo = store.df("SELECT * FROM current_observations WHERE indicator_id = ? AND area_code = ? AND is_demo",
                            [kpi.id, fw.home_area])
            for p in pub.itertuples():
                inside = demo[(demo["breakdown_type"] == p.breakdown_type)
                              & (demo["breakdown_value"] == p.breakdown_value)
                              & (pd.to_datetime(demo["period_start"]) >= pd.Timestamp(p.period_start))
                              & (pd.to_datetime(demo["period_end"]) <= pd.Timestamp(p.period_end))]
                if inside.empty:
                    continue
                checked += 1
                same = inside[inside["period_label"] == p.period_label]
                if not same.empty:
                    assert same["value"].iloc[0] == pytest.approx(p.value), (kpi.id, p.period_label)
                    continue
                assert kpi.unit == "percentage", f"{kpi.id}: a {kpi.unit} synthesised inside published {p.period_label}"
                assert inside["denominator"].notna().all() and inside["numerator"].notna().all()
                den = inside["denominator"].sum()
                together = 100 * inside["numerator"].sum() / den
                assert abs(together - p.value) <= 0.051 + 50 / den, (
                    f"{kpi.id} {p.breakdown_type}: demo quarters in {p.period_label} come to {together:.2f}%, "
                    f"published {p.value}%")
        if path.stem == "worcestershire":
            assert checked >= 6   # SG02, SD02 and SD04, two published years each
    finally:
        store.close()


def test_the_latest_demo_figure_agrees_with_the_latest_publication():
    """The case the issue found: Worcestershire's SG02 demo said 27.3% 'similar' while DfE published 31.4%
    'worse' for 2024/25. Now the demo quarters of 2024/25 add up to DfE's 223 of 711 plans."""
    import tempfile

    from kpis.setup.bootstrap import initialise
    fw = load_framework(ROOT / "data" / "frameworks" / "worcestershire.toml")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "w.duckdb")
        try:
            initialise(store, fw, with_demo=True)
            q = store.df("SELECT sum(numerator) AS num, sum(denominator) AS den FROM current_observations "
                         "WHERE indicator_id = 'SG02' AND breakdown_type = 'all' AND period_label LIKE '2024/25 Q%'")
            assert (q["num"].iloc[0], q["den"].iloc[0]) == (223, 711)
        finally:
            store.close()


# -- the product holds no partnership's facts --------------------------------------------------------------
PRODUCT = [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "kpis").rglob("*.py"))]


REGION_NAMES = {"North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
                "East of England", "London", "South East", "South West"}


def _facts(fw) -> list[str]:
    facts = [fw.name, fw.short_name, fw.home_area, *fw.districts, *fw.districts.values()]
    region = region_name(fw.home_area)
    # London is the exception: the importers must know DfE's 'London (Inner)' and '(Outer)' sub-regions.
    return facts + ([region] if region and region != "London" else [])


@pytest.mark.parametrize("path", FRAMEWORK_FILES, ids=NAMES)
def test_no_partnership_fact_is_coded_in_the_product(path):
    fw = load_framework(path)
    dfe = re.compile(rf"""["']{fw.home_area_dfe}["']""") if fw.home_area_dfe else None
    found = []
    for f in PRODUCT:
        raw = f.read_text(encoding="utf-8")
        # in any case ("name@worcestershire.gov.uk" too), leaving out framework file names (the shipped default)
        text = re.sub(r"[a-z_]+\.toml", "", raw.lower())
        found += [f"{f.relative_to(ROOT)}: {fact}" for fact in _facts(fw) if fact.lower() in text
                  and fact not in REGION_NAMES]
        # a region's name in lower case is the importers' table of every region, not this partnership's
        found += [f"{f.relative_to(ROOT)}: {fact}" for fact in _facts(fw) if fact in REGION_NAMES and fact in raw]
        if dfe and dfe.search(text):
            found.append(f"{f.relative_to(ROOT)}: DfE code {fw.home_area_dfe}")
    assert not found


def test_only_the_demo_builders_import_the_demo_module():
    importers = {f.relative_to(ROOT).as_posix() for f in PRODUCT
                 if re.search(r"^\s*(from kpis\.setup import .*\bdemo\b|from kpis\.setup\.demo import|"
                              r"import kpis\.setup\.demo)", f.read_text(encoding="utf-8"), re.M)}
    # the pattern finds the product modules that do import it (kpis/setup since the move): the bootstrap, and the
    # demo year of meetings, which takes the demo's labels from it; nothing else may
    assert importers == {"kpis/setup/bootstrap.py", "kpis/setup/demo_meetings.py"}, importers
