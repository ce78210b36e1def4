"""The upload page's example email address comes from the framework, never one council's (issue 21): a neutral
name@council.gov.uk, or name@ the [partnership] email_domain the framework file gives."""
from __future__ import annotations

import warnings

import pytest

from kpis.core.framework import FrameworkError, load_framework, parse_framework
from tests.app.test_pages_upload import PERIOD, open_upload, upload
from tests.conftest import ROOT
from tests.support.apptest import ok, texts
from tests.support.returns import framework
from tools.sample_returns import filled_template

warnings.filterwarnings("ignore", category=DeprecationWarning)
SHIPPED = ROOT / "data" / "frameworks" / "worcestershire.toml"


def email_field(at):
    at = ok(at.selectbox(key="upload_area").select("safeguarding").run())
    return upload(at, "safeguarding-return.xlsx", filled_template(framework(), "safeguarding", PERIOD))


@pytest.mark.parametrize("domain,example", [(None, "name@council.gov.uk"), ("@Example.GOV.uk", "name@example.gov.uk")])
def test_the_placeholder_and_the_error_use_the_frameworks_domain(readers_demo_db, reader_env, monkeypatch, tmp_path,
                                                                 domain, example):
    if domain:
        text = SHIPPED.read_text(encoding="utf-8").replace("[partnership]\n",
                                                           f'[partnership]\nemail_domain = "{domain}"\n', 1)
        path = tmp_path / "with_domain.toml"
        path.write_text(text, encoding="utf-8")
        assert load_framework(path).email_example == example
        monkeypatch.setenv("KPIS_FRAMEWORK", str(path))
    reader_env(readers_demo_db)             # stores nothing: the shared copy (tests/app/conftest.py)
    at = email_field(open_upload())
    assert at.text_input(key="upload_email").placeholder == example
    at = ok(at.text_input(key="upload_email").input("not an email").run())
    assert f"Write it in full, for example {example}." in texts(at)
    assert "worcestershire.gov.uk" not in texts(at).lower()


def test_a_domain_that_is_not_one_is_refused_in_words():
    raw = {"partnership": {"name": "P", "home_area": "E10000034", "email_domain": "not a domain"}}
    with pytest.raises(FrameworkError, match="email_domain 'not a domain' should be a domain such as"):
        parse_framework(raw)
