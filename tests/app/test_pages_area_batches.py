"""An outcome area with more KPIs than one view draws (a national framework may have dozens) shows them in
batches, each KPI in exactly one batch, and the views come from the shared per-data-version cache."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from app_pages._area import KPIS_PER_VIEW, url_path
from kpis.cli.main import main
from kpis.core.framework import load_framework

ROOT = Path(__file__).resolve().parent.parent.parent


def every_kpi_twice(text: str) -> str:
    """A framework's TOML with a copy of each KPI after the originals (EH01 -> EH101, "(copy 1) ..."), each as it
    is: unlike the benchmark's framework (tools.bench.dataset), not every KPI quarterly with every breakdown, which
    made the demo database four times as many values and took half as long again to build."""
    head, *blocks = re.split(r"(?m)^(?=\[\[kpis\]\]\s*$)", text)
    copies = [re.sub(r'(?m)^(short_title|title) = "', r'\1 = "(copy 1) ',
                     re.sub(r'(?m)^id = "([A-Z]+)([0-9]{2})"', r'id = "\g<1>1\2"', block)) for block in blocks]
    return head + "".join(blocks) + "".join(copies)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Worcestershire's framework with every KPI twice (32 KPIs; early help has 10), and its demo database."""
    folder = tmp_path_factory.mktemp("big")
    fw_path = folder / "framework.toml"
    fw_path.write_text(every_kpi_twice((ROOT / "data" / "frameworks" / "worcestershire.toml").read_text()))
    db = folder / "big.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("KPIS_FRAMEWORK", str(fw_path))
    assert main(["--db", str(db), "init", "--demo"]) == 0
    yield db, load_framework(fw_path)
    mp.undo()


def open_area(db: Path, fw, area_id: str, monkeypatch) -> AppTest:
    import streamlit as st
    monkeypatch.setenv("KPIS_DB", str(db))
    monkeypatch.setenv("KPIS_FRAMEWORK", fw.path)
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    at._page_hash = calc_hash(url_path(area_id))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def kpi_headings(at: AppTest, fw) -> list[str]:
    ids = {k.id for k in fw.kpis}
    return [h.value.split(" ")[0] for h in at.header if h.value.split(" ")[0] in ids]


def test_a_large_area_is_shown_in_batches_each_kpi_once(big, monkeypatch):
    db, fw = big
    area = next(a for a in fw.areas if len(fw.kpis_in_area(a.id)) > KPIS_PER_VIEW)
    wanted = [k.id for k in fw.kpis_in_area(area.id)]
    at = open_area(db, fw, area.id, monkeypatch)
    first = kpi_headings(at, fw)
    assert first == wanted[:KPIS_PER_VIEW]
    label = f"This area has {len(wanted)} KPIs, shown {KPIS_PER_VIEW} at a time"
    control = next(c for c in at.get("button_group") if c.label == label)
    assert len(control.options) == -(-len(wanted) // KPIS_PER_VIEW)
    control.set_value(control.options[1]).run()
    assert not at.exception
    second = kpi_headings(at, fw)
    assert second == wanted[KPIS_PER_VIEW:2 * KPIS_PER_VIEW]
    assert any(f"Showing {len(second)} of {len(wanted)} KPIs" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) >= len(second)  # every KPI in the batch draws its trend chart


def test_a_small_area_has_no_batches(big, monkeypatch):
    db, fw = big
    area = next(a for a in fw.areas if len(fw.kpis_in_area(a.id)) <= KPIS_PER_VIEW)
    at = open_area(db, fw, area.id, monkeypatch)
    assert kpi_headings(at, fw) == [k.id for k in fw.kpis_in_area(area.id)]
    assert [c.label for c in at.get("button_group")] == ["Compare with"]   # no choice of batch
