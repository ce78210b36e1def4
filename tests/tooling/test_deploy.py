"""The documented deployment runs the app as an unprivileged user that can write only data/."""
import configparser
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "kpis-dashboard.service"
CODE = "/opt/kpis-dashboard"


def service() -> dict[str, str]:
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return dict(parser["Service"])


def test_the_unit_runs_as_an_unprivileged_user_that_writes_only_data():
    s = service()
    assert s["User"] == "kpis" and s["Group"] == "kpis"
    assert s["NoNewPrivileges"] == "yes" and s["CapabilityBoundingSet"] == "" and s["RestrictSUIDSGID"] == "yes"
    assert s["ProtectSystem"] == "strict" and s["ReadWritePaths"] == f"{CODE}/data"   # the code is read-only
    assert s["PrivateTmp"] == "yes" and s["ProtectHome"] == "yes"
    assert s["WorkingDirectory"] == CODE and s["ExecStart"].startswith(f"{CODE}/.venv/bin/streamlit run dashboard.py")
    assert "--server.address 127.0.0.1" in s["ExecStart"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/kpis-dashboard.service" in readme and "useradd --system" in readme and "sudo -u kpis" in readme


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path):
    """systemd's own check, on a copy pointed at this checkout (its ExecStart must exist to pass)."""
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(CODE, str(ROOT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
