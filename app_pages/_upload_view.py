"""What the upload page shares between its runs and its visitors."""
from __future__ import annotations

import streamlit as st

from app_pages._common import data_version, framework, store
from kpis.returns.submission import HomeHistory, home_history
from kpis.returns.templates import build_template


@st.cache_resource(show_spinner=False, max_entries=16)
def _template(db: str, version: int, area_id: str, period: str) -> bytes:
    return build_template(store(), framework(), area_id, period)


def template(area_id: str, period: str) -> bytes:
    """A sub-group's return template for a quarter (`kpis.returns.templates.build_template`). Its reference column
    holds last quarter's figures, which change only with a new batch (a new data version), so it is made once per
    data version and shared, not made again on every run of the page (each choice, each character typed)."""
    return _template(str(store().path), data_version(), area_id, period)


@st.cache_resource(show_spinner=False, max_entries=32)
def _history(db: str, version: int, kpi_id: str) -> HomeHistory:
    return home_history(store(), framework(), kpi_id)


def history(kpi_id: str) -> HomeHistory:
    """Every version of the home area's figures of a KPI (`kpis.returns.submission.home_history`), read once per
    data version (only a new batch adds a version) and shared, not read again on every run of the page."""
    return _history(str(store().path), data_version(), kpi_id)
