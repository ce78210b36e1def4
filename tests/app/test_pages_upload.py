"""AppTest of the upload page on a copy of the demo database: a good return through to the receipt, a flawed
one (problems, annotated copy, confirm off), hostile files, a repeated file, and a lead's own areas only."""
from __future__ import annotations

import hashlib
import io
import json
import warnings
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from app_pages._auth import SESSION_KEY
from kpis.core.exports import XLSX_MIME
from kpis.returns.templates import default_period
from kpis.store.database import Store, now
from tests.conftest import ROOT
from tests.support.apptest import ok, texts
from tests.support.auth import ACCOUNTS
from tests.support.returns import FIXTURES, framework, to_bytes
from tools.sample_returns import filled_template

warnings.filterwarnings("ignore", category=DeprecationWarning)
TIMEOUT = 60
PERIOD = default_period(date.today()).label     # the page offers the latest ended quarter first
EMAIL = "lead@worcestershire.gov.uk"
ROWS = 27                                        # the safeguarding template: SG01 x 11, SG02 x 11, SG03 x 5


# A test that submits nothing reads the demo database the reading tests share (`reader_env`, with what the app
# cached for it: tests/app/conftest.py); one that stores a return has its own copy.
def open_upload() -> AppTest:
    at = ok(AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run())
    return ok(at.switch_page("app_pages/upload.py").run())


def upload(at, name: str, data: bytes, mime: str = XLSX_MIME) -> AppTest:
    return ok(at.file_uploader(key="upload_file").set_value((name, data, mime)).run())


def flawed_return() -> bytes:
    """The real safeguarding template, filled in, with a percentage of 150 and a KPI id that does not exist."""
    fw = framework()
    wb = load_workbook(io.BytesIO(filled_template(fw, "safeguarding", PERIOD)))
    ws = wb["Data"]
    ws["F2"] = 150
    ws["G2"] = ws["H2"] = None
    ws["A4"] = "SG99"
    return to_bytes(wb)


def submissions(db) -> int:
    return rows_in_db(db, "SELECT count(*) FROM batches WHERE kind = 'submission'")[0][0]


def rows_in_db(db, sql: str, params=()) -> list[tuple]:
    store = Store(db)
    try:
        return store.con.execute(sql, list(params)).fetchall()
    finally:
        store.close()


def test_good_return_through_to_receipt(demo_db, app_env):
    app_env(demo_db)
    at = open_upload()
    assert "Submit a quarterly return" in at.title[0].value
    assert "Demo data" in texts(at)
    subheads = [s.value for s in at.subheader]
    assert subheads[:2] == ["1. Choose your sub-group and quarter", "2. Upload your filled-in return"]
    assert at.selectbox(key="upload_period").value == PERIOD
    at = ok(at.selectbox(key="upload_area").select("safeguarding").run())

    data = filled_template(framework(), "safeguarding", PERIOD)
    at = upload(at, "safeguarding-return.xlsx", data)
    body = texts(at)
    assert at.status[0].label.startswith("Checked safeguarding-return.xlsx: ")     # progress, then the outcome
    assert at.get("progress")[0].proto.value == 100
    assert "3. Problems to fix" in body and "4. What will change" in body and "5. Confirm" in body
    assert not at.error and "Nothing must be fixed" in body
    assert f"Read as the **Safeguarding** return for **{PERIOD}**" in body
    metrics = {m.label: m.value for m in at.metric}
    total = sum(int(v) for v in metrics.values())
    assert total == ROWS and set(metrics) == {"New figures", "Changed figures", "Unchanged figures"}
    confirm = at.button(key="upload_confirm")
    assert confirm.disabled                    # no email yet
    at = ok(at.text_input(key="upload_email").input("not an email").run())
    assert "is not an email address" in texts(at)
    assert at.button(key="upload_confirm").disabled
    at = ok(at.text_input(key="upload_email").input(EMAIL).run())
    assert not at.button(key="upload_confirm").disabled

    at = ok(at.button(key="upload_confirm").click().run())
    success = " ".join(x.value for x in at.success)
    assert "Return stored as submission" in success
    receipt = dict(zip(at.table[0].value["Item"], at.table[0].value["Detail"], strict=False))
    batch_id = int(receipt["Submission id"])
    assert receipt["File name"] == "safeguarding-return.xlsx"
    assert receipt["Quarter"] == PERIOD
    assert at.code[0].value == hashlib.sha256(data).hexdigest()
    assert int(receipt["New figures"]) + int(receipt["Changed figures"]) + int(receipt["Unchanged figures"]) == ROWS
    assert "UTC" in receipt["Submitted at"] and "Submitted by" in receipt
    assert [b for b in at.button if b.key == "upload_confirm"] == []     # no second submit button
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Printable receipt (HTML)" in labels and "Receipt for systems (JSON)" in labels

    # a rerun (any widget change) shows the same receipt and stores nothing again
    at = ok(at.run())
    assert f"submission {batch_id}" in " ".join(x.value for x in at.success)
    db_values = rows_in_db(demo_db, "SELECT count(*) FROM observations WHERE batch_id = ? AND valid_to IS NULL",
                           [batch_id])
    assert db_values[0][0] == ROWS
    batch = rows_in_db(demo_db, "SELECT submitted_by, file_name, outcome_area FROM batches WHERE batch_id = ?",
                       [batch_id])
    assert batch[0] == (EMAIL, "safeguarding-return.xlsx", "safeguarding")
    sg02 = rows_in_db(demo_db, "SELECT value FROM current_observations WHERE indicator_id = 'SG02' AND "
                               "breakdown_type = 'all' AND period_label = ? AND area_code = 'E10000034'", [PERIOD])
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Data"]
    sg02_all = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "SG02")
    assert sg02[0][0] == pytest.approx(ws.cell(sg02_all, 6).value)

    # the KPI's revision history shows the new version with its submission id
    at = ok(at.selectbox(key="upload_history_kpi_safeguarding").select("SG02").run())
    at = ok(at.selectbox(key="upload_history_quarter").select(PERIOD).run())
    history = at.dataframe[-1].value
    assert any(c.startswith(f"Return {batch_id}: ") for c in history["Came from"])
    assert (history["Version"] >= 2).any()      # the demo figures for this quarter are now history


def test_flawed_return_shows_problems_and_blocks_confirm(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    before = submissions(readers_demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    at = upload(at, "flawed.xlsx", flawed_return())
    errors = " ".join(e.value for e in at.error)
    assert "2 problems must be fixed" in errors
    table = at.dataframe[0].value
    assert list(table.columns) == ["Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected"]
    assert list(table["Severity"][:2]) == ["Error: must be fixed"] * 2
    first, second = table.iloc[0], table.iloc[1]
    assert (first["Sheet"], first["Row"], first["Column"], first["Found"]) == ("Data", 2, "F (Value)", "150")
    assert "0 to 100" in first["Expected"]
    assert (second["Row"], second["Column"], second["Found"]) == (4, "A (KPI id)", "SG99")
    assert "SG01, SG02, SG03" in second["Message"]
    assert not table["Severity"][2:].str.startswith("Error").any()     # errors first
    downloads = [d for d in at.get("download_button") if "problems marked" in d.proto.label]
    assert downloads and downloads[0].proto.url    # the annotated copy is offered
    at = ok(at.text_input(key="upload_email").input(EMAIL).run())
    assert at.button(key="upload_confirm").disabled
    assert "Confirm is off until the 2 errors" in texts(at)
    assert submissions(readers_demo_db) == before


HOSTILE = {name: case for name, case in json.loads((FIXTURES / "expected.json").read_text()).items()
           if case["exit_code"] == 2}       # files that cannot be read at all (exit code 1: readable, with problems)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gets_a_plain_error(readers_demo_db, reader_env, name):
    """Each hostile fixture (empty, a picture renamed .xlsx, a zip bomb, macros, an old .xls, ...) gets its
    plain reason, under its own name and renamed .xlsx (the content decides, never the name). The widget takes
    only .xlsx and .csv (issue 16), so an .xls, .xlsm or .ods under its own name never reaches the page: only
    its renamed copy does."""
    reader_env(readers_demo_db)
    names = [name, Path(name).with_suffix(".xlsx").name]
    if Path(name).suffix not in (".xlsx", ".csv"):
        names = names[1:]
    for upload_name in dict.fromkeys(names):
        at = upload(open_upload(), upload_name, (FIXTURES / name).read_bytes())
        errors = " ".join(e.value for e in at.error)
        assert HOSTILE[name]["message"].lower() in errors.lower(), upload_name
        assert "Traceback" not in texts(at) and not at.exception
        assert [b for b in at.button if b.key == "upload_confirm"] == []


def test_same_file_twice_names_the_earlier_submission(demo_db, app_env):
    app_env(demo_db)
    before = submissions(demo_db)
    data = filled_template(framework(), "early_help", PERIOD)
    receipts = []
    for _ in range(2):
        at = ok(open_upload().selectbox(key="upload_area").select("early_help").run())
        at = upload(at, "eh.xlsx", data)
        at = ok(at.text_input(key="upload_email").input(EMAIL).run())
        at = ok(at.button(key="upload_confirm").click().run())
        receipts.append(dict(zip(at.table[0].value["Item"], at.table[0].value["Detail"], strict=False)))
    first = int(receipts[0]["Submission id"])
    assert int(receipts[1]["Same file as submission"]) == first
    assert "already submitted as submission" in " ".join(x.value for x in at.info)
    assert submissions(demo_db) == before + 1


def test_csv_return_and_template_download(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("send").run())
    template = [d for d in at.get("download_button") if d.proto.label == "Download the return template"]
    assert template and template[0].proto.url
    csv = (f"KPI id,Breakdown,Period,Value\nSD01,All,{PERIOD},55\nSD02,All,{PERIOD},=1+1\n").encode()
    at = upload(at, "send.csv", csv, "text/csv")
    table = at.dataframe[0].value
    assert table.iloc[0]["Row"] == 3 and table.iloc[0]["Found"] == "=1+1"
    assert any("problems marked" in d.proto.label for d in at.get("download_button"))


def test_a_lead_chooses_only_their_own_areas(readers_accounts_db, reader_env):
    """A signed-in lead (accounts exist: not open demo mode) submits as themselves, for their own sub-group only."""
    reader_env(readers_accounts_db)
    email = ACCOUNTS["lead"][0]                  # the safeguarding lead
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = {"email": email, "method": "password", "started": now(), "last_seen": now()}
    at = ok(ok(at.run()).switch_page("app_pages/upload.py").run())
    assert at.selectbox(key="upload_area").options == ["Worcestershire Safeguarding Children Partnership "
                                                       "(Safeguarding)"]
    assert "Submitting as" not in texts(at)      # shown at step 5, after an upload
    at = upload(at, "sg.xlsx", filled_template(framework(), "safeguarding", PERIOD))
    assert f"Submitting as **{email}**" in texts(at).replace("\\", "").replace("\u2060", "")  # md_escape's joiners
    assert not at.text_input                       # no email to type when signed in
    assert not at.button(key="upload_confirm").disabled



BUDGET = FIXTURES / "budget"


def test_a_merge_bomb_is_checked_and_the_page_says_why_no_marked_copy(readers_demo_db, reader_env):
    """A 5 KB workbook with a merged range A2:XFD20001 is read with the range clipped to its cells; the marked
    copy would open 327 million merged cells, so the page says so plainly instead of offering it."""
    reader_env(readers_demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    at = upload(at, "merge_bomb.xlsx", (BUDGET / "merge_bomb.xlsx").read_bytes())
    assert at.status[0].label.startswith("Checked merge_bomb.xlsx: ") and not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "No marked copy of 'merge_bomb.xlsx' is offered" in notes and "A2:XFD20001" in notes
    assert "327,680,000 cells" in notes and "Every problem is listed on this page" in notes
    assert not [d for d in at.get("download_button") if "problems marked" in d.proto.label]
    assert "Traceback" not in texts(at)


@pytest.mark.parametrize("name, words", [("many_problems.csv", "… and 5,000 more problems"),
                                         ("xfd_rows.xlsx", "problems marked")])
def test_many_problems_are_capped_and_a_sparse_sheet_still_gets_its_marked_copy(readers_demo_db, reader_env, name,
                                                                                words):
    reader_env(readers_demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    at = upload(at, name, (BUDGET / name).read_bytes(), "text/csv" if name.endswith(".csv") else XLSX_MIME)
    assert not at.exception and "Traceback" not in texts(at)
    if name.endswith(".csv"):
        assert "6000 problems must be fixed" in " ".join(e.value for e in at.error)
        table = at.dataframe[0].value
        assert len(table) == 1001 and words in table["Message"].iloc[-1]
        assert "Every problem in one table** (6,000, the first 1,000 listed)" in texts(at)
    downloads = [d for d in at.get("download_button") if "problems marked" in d.proto.label]
    assert downloads and downloads[0].proto.url


def test_the_widget_takes_what_its_caption_says(readers_demo_db, reader_env):
    reader_env(readers_demo_db)
    at = open_upload()
    box = at.file_uploader(key="upload_file")
    assert list(box.proto.type) == [".xlsx", ".csv"]
    assert box.proto.label.startswith("Excel workbook (.xlsx) or CSV file")
    assert "save it as .xlsx" in texts(at)


def test_the_problem_table_fits_a_laptop_screen_and_wraps(readers_demo_db, reader_env):
    """Issue 16: Message, Found and Expected ran off the right of a 1366 px screen."""
    reader_env(readers_demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    at = upload(at, "flawed.xlsx", flawed_return())
    grid = at.dataframe[0]
    columns = {k: v for k, v in json.loads(grid.proto.columns).items() if k != "_index"}   # the hidden index
    assert set(columns) == {"Severity", "Sheet", "Row", "Column", "Message", "Found", "Expected"}
    assert sum(c["width"] for c in columns.values()) <= 860     # the main area beside the sidebar at 1366 px
    assert columns["Message"]["width"] >= 140 and grid.proto.row_height >= 65   # wrapped, not cut
    assert grid.proto.placeholder == "–"


def test_the_template_is_made_once_per_data_version(demo_db, app_env, monkeypatch):
    """The template (last quarter's figures beside each row) is made once for each sub-group, quarter and data
    version, not on every run of the page; new figures make it again, with them in it."""
    from app_pages import _upload_view
    from kpis.returns import templates
    from tests.support.board import obs, submit

    made: list[bytes] = []
    real = templates.build_template
    monkeypatch.setattr(_upload_view, "build_template", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    app_env(demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    ok(at.run())                                   # a rerun (any choice on the page)
    ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())   # another lead, the same figures
    assert len(made) == 2                          # the first area offered, then safeguarding: once each
    last = templates.previous_quarter(templates.parse_period(PERIOD))
    store = Store(demo_db, hold=False)
    submit(store, [obs("SG02", "2024/25 Q1", 12.3456) | {"period_label": last.label, "period_start": last.start,
                                                          "period_end": last.end}], now())
    store.close()
    ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    assert len(made) == 4                          # new figures: made again (the first area offered, safeguarding)

    def shows(workbook: bytes, text: str) -> bool:
        return any(text in str(cell.value) for row in load_workbook(io.BytesIO(workbook))["Data"].iter_rows()
                   for cell in row)
    assert not shows(made[1], "12.3") and shows(made[-1], "12.3")    # safeguarding's, before and after


def test_the_revision_history_is_read_once_per_data_version(demo_db, app_env, monkeypatch):
    """A KPI's revision history is read once per data version and shared; new figures are in it at once."""
    from app_pages import _upload_view
    from kpis.core.periods import parse_period
    from tests.support.board import obs, submit

    read: list[str] = []
    real = _upload_view.home_history
    monkeypatch.setattr(_upload_view, "home_history", lambda *a, **k: read.append(a[2]) or real(*a, **k))
    app_env(demo_db)
    at = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    at = ok(at.selectbox(key="upload_history_kpi_safeguarding").select("SG02").run())
    at = ok(at.selectbox(key="upload_history_quarter").select(at.selectbox(key="upload_history_quarter").options[1])
            .run())                                                   # one quarter of it: not read again
    other = ok(open_upload().selectbox(key="upload_area").select("safeguarding").run())
    ok(other.selectbox(key="upload_history_kpi_safeguarding").select("SG02").run())   # another lead, same figures
    assert read.count("SG02") == 1
    quarter = at.selectbox(key="upload_history_quarter").value
    store = Store(demo_db, hold=False)
    period = parse_period(quarter)
    batch = submit(store, [obs("SG02", "2024/25 Q1", 12.3456) | {"period_label": quarter, "period_start": period.start,
                                                                "period_end": period.end}], now())
    store.close()
    at = ok(at.run())
    assert read.count("SG02") == 2                                    # new figures: read again, and shown
    assert any(c.startswith(f"Return {batch}") for c in at.dataframe[-1].value["Came from"])
