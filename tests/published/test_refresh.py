"""Live refresh against recorded responses served on 127.0.0.1: never the real network.

The server answers the documented endpoints with real files in the publishers' formats:
- Fingertips ``/api/all_data/csv/by_indicator_id?indicator_ids=90284&child_area_type_id=502&parent_area_type_id=15``:
  tests/fixtures/imports/fingertips_90284_by_sex.csv (the 27-column download CSV, which the API returns);
  ``child_area_type_id=6`` (regions): data/reference/fingertips/region_hospital_admissions_extract.csv;
- explore education statistics ``/statistics/v1/data-sets/test-d3-data-set/csv``:
  tests/fixtures/benchmarks/dfe_d3_markers.csv (the open data CSV layout the API's CSV endpoint returns).
"""
from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from kpis.cli.main import main
from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
from kpis.published import refresh as refresh_mod
from kpis.published.importer import REFERENCE_DIR
from kpis.published.refresh import NetworkUnreachable, RefreshError, plan, refresh
from tests.conftest import ROOT
from tests.support.published import totals

FRAMEWORK = ROOT / "tests" / "fixtures" / "frameworks" / "refresh.toml"
COUNCILS = ROOT / "tests" / "fixtures" / "imports" / "fingertips_90284_by_sex.csv"
REGIONS = REFERENCE_DIR / "fingertips" / "region_hospital_admissions_extract.csv"
D3 = ROOT / "tests" / "fixtures" / "benchmarks" / "dfe_d3_markers.csv"
WORCS, ENGLAND = "E10000034", "E92000001"


class Publisher(BaseHTTPRequestHandler):
    """Fingertips and DfE as recorded; `routes` may be changed by a test (path+query -> (status, body))."""
    routes: ClassVar[dict] = {}
    seen: ClassVar[list] = []

    def do_GET(self):
        url = urlparse(self.path)
        type(self).seen.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))
        status, body = self.answer(url.path, parse_qs(url.query))
        self.send_response(status)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self, path: str, query: dict) -> tuple[int, bytes]:
        if path in self.routes:
            return self.routes[path]
        if path == "/api/all_data/csv/by_indicator_id":
            if query.get("indicator_ids") == ["90284"] and query.get("parent_area_type_id") == ["15"]:
                child = query.get("child_area_type_id", [""])[0]
                if child == "502":
                    return 200, COUNCILS.read_bytes()
                if child == "6":
                    return 200, REGIONS.read_bytes()
            return 200, COUNCILS.read_bytes().splitlines(keepends=True)[0]  # Fingertips: the header, no rows
        if path == "/statistics/v1/data-sets/test-d3-data-set/csv":
            return 200, D3.read_bytes()
        return 404, b'{"title": "Not Found", "status": 404}'

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    Publisher.routes, Publisher.seen = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield {"fingertips_api": f"{base}/api", "ees_api": f"{base}/statistics/v1"}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def framework():
    return load_framework(FRAMEWORK)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once the socket is closed


def test_the_plan_asks_the_documented_endpoints_and_says_what_it_cannot_fetch():
    requests, skipped = plan(load_framework(DEFAULT_FRAMEWORK))
    urls = [r.url for r in requests]
    assert urls[0] == ("https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?indicator_ids=93536"
                       "&child_area_type_id=502&parent_area_type_id=15")
    assert {r.indicator_id for r in requests} == {"fingertips:93536", "fingertips:90319", "fingertips:90323"}
    assert len(requests) == 6  # councils and regions of each
    reasons = {s.indicator_id: s.reason for s in skipped}
    assert reasons["lait:FSP_NEW_GOODDEV"].startswith("lait publishes no API")
    assert "api_data_set" in reasons["dfe_ees:d3_cpps_subsequent_plan"]
    ees = plan(load_framework(FRAMEWORK))[0][-1]
    assert ees.url == "https://api.education.gov.uk/statistics/v1/data-sets/test-d3-data-set/csv"


def test_refresh_fetches_every_comparator_and_imports_one_batch(server, store, framework):
    before = totals(store)
    progress = io.StringIO()
    result = refresh(store, framework, progress=progress, **server)
    assert [r.label for r, _ in result.fetched] == ["Fingertips 90284 (councils)", "Fingertips 90284 (regions)",
                                                    "DfE data set test-d3-data-set"]
    assert [(s.kpi_ids, s.indicator_id) for s in result.not_fetched] == [(("EH04",), "lait:FSP_NEW_GOODDEV")]
    assert Publisher.seen[0] == ("/api/all_data/csv/by_indicator_id", {"indicator_ids": "90284",
                                                                      "child_area_type_id": "502",
                                                                      "parent_area_type_id": "15"})
    after = totals(store)
    assert after["batches"] == before["batches"] + 1 and after["raw_files"] == 3  # one batch, every response kept
    report = result.report
    regions = len(REGIONS.read_text(encoding="utf-8").splitlines()) - 1
    assert report.format == "mixed" and report.rows_read == 42 + regions + 14
    batch = store.df("SELECT * FROM batches WHERE batch_id = ?", [report.batch_id]).iloc[0]
    assert batch["kind"] == "import" and batch["rows_read"] == report.rows_read
    assert batch["note"].startswith("refresh: http://127.0.0.1:")
    w = store.df("SELECT value FROM current_observations WHERE indicator_id = 'fingertips:90284' AND area_code = ? "
                 "AND period_label = '2023/24' AND breakdown_type = 'all'", [WORCS])
    assert w["value"].tolist() == [60.56226]
    assert store.scalar("SELECT value FROM current_observations WHERE indicator_id = 'fingertips:90284' AND "
                        "area_code = 'E12000005' AND period_label = '2023/24' AND breakdown_type = 'all'") > 0
    assert store.scalar("SELECT value FROM current_observations WHERE indicator_id = "
                        "'dfe_ees:d3_cpps_subsequent_plan' AND area_code = ? AND period_label = '2024/25'",
                        [ENGLAND]) == 24.5
    lines = progress.getvalue().splitlines()
    size = f"{COUNCILS.stat().st_size / 1024:,.0f} KB"
    assert lines[0].startswith("[#####.....") and lines[0].endswith(f"1/4 Fingertips 90284 (councils): {size}")
    assert lines[-1].startswith("[####################] 4/4 imported as batch")


def test_a_second_refresh_changes_nothing(server, store, framework):
    first = refresh(store, framework, progress=io.StringIO(), **server).report
    again = refresh(store, framework, progress=io.StringIO(), **server).report
    assert (again.new, again.changed) == (0, 0) and again.unchanged == first.new + first.unchanged


def test_no_network_fails_at_once_plainly_and_changes_nothing(store, framework):
    before = totals(store)
    dead = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(NetworkUnreachable) as err:
        refresh(store, framework, progress=io.StringIO(), fingertips_api=f"{dead}/api",
                ees_api=f"{dead}/statistics/v1")
    message = str(err.value)
    assert message.startswith("The network is unreachable: 127.0.0.1 could not be reached (")
    assert "Nothing was fetched and nothing was changed" in message and "import-benchmarks FILE" in message
    assert totals(store) == before


def test_an_injected_fetcher_that_cannot_resolve_the_host_stops_everything(store, framework):
    calls = []

    def no_dns(url, timeout):
        calls.append(url)
        raise NetworkUnreachable(refresh_mod._unreachable("fingertips.phe.org.uk",
                                                          socket.gaierror(-2, "Name or service not known")))

    with pytest.raises(NetworkUnreachable, match="Name or service not known"):
        refresh(store, framework, fetch=no_dns, progress=io.StringIO())
    assert len(calls) == 1  # the first failure stops it: no waiting on every other address


def test_a_publisher_error_is_listed_and_the_rest_imported(server, store, framework):
    Publisher.routes["/statistics/v1/data-sets/test-d3-data-set/csv"] = (404, b'{"status": 404}')
    result = refresh(store, framework, progress=io.StringIO(), **server)
    assert len(result.fetched) == 2 and result.report.rows_imported > 0
    failed = [s for s in result.not_fetched if s.indicator_id == "dfe_ees:d3_cpps_subsequent_plan"]
    assert len(failed) == 1 and "answered 404" in failed[0].reason and "/data-sets/test-d3-data-set/csv" in \
        failed[0].reason
    assert not store.scalar("SELECT count(*) FROM current_observations WHERE indicator_id LIKE 'dfe_ees:%'")


def test_a_response_that_is_not_the_publishers_csv_is_not_imported(server, store, framework):
    Publisher.routes["/statistics/v1/data-sets/test-d3-data-set/csv"] = (
        200, b"<!DOCTYPE html><html><body>Service unavailable</body></html>")
    result = refresh(store, framework, progress=io.StringIO(), **server)
    reason = next(s.reason for s in result.not_fetched if s.indicator_id.startswith("dfe_ees"))
    assert "the response is not a DfE open data CSV (it starts: '<!DOCTYPE html>" in reason


def test_nothing_fetched_at_all_is_an_error_and_changes_nothing(server, store, framework):
    Publisher.routes["/api/all_data/csv/by_indicator_id"] = (500, b"")
    Publisher.routes["/statistics/v1/data-sets/test-d3-data-set/csv"] = (503, b"")
    before = totals(store)
    with pytest.raises(RefreshError, match="Nothing could be fetched, so nothing was changed"):
        refresh(store, framework, progress=io.StringIO(), **server)
    assert totals(store) == before


# -- the command ---------------------------------------------------------------------------------------------
def test_the_command_refreshes_with_a_progress_bar(server, tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert main(["--db", str(db), "--framework", str(FRAMEWORK), "init"]) == 0
    capsys.readouterr()
    code = main(["--db", str(db), "--framework", str(FRAMEWORK), "refresh", "--fingertips-api",
                 server["fingertips_api"], "--ees-api", server["ees_api"]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "] 1/4 Fingertips 90284 (councils)" in err and "] 4/4 imported as batch" in err
    assert out.startswith("Refreshed 3 response(s) as batch ")
    assert "Not fetched (EH04, lait:FSP_NEW_GOODDEV): lait publishes no API" in out


def test_the_command_without_a_network_exits_2_with_a_plain_message(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert main(["--db", str(db), "--framework", str(FRAMEWORK), "init"]) == 0
    capsys.readouterr()
    dead = f"http://127.0.0.1:{closed_port()}"
    code = main(["--db", str(db), "--framework", str(FRAMEWORK), "refresh", "--fingertips-api", f"{dead}/api",
                 "--ees-api", f"{dead}/statistics/v1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: The network is unreachable: 127.0.0.1 could not be reached")
    assert "Traceback" not in err
