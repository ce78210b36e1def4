"""scipy.stats is imported when a statistic first needs it (an exact Poisson limit, a binomial test, a regression),
not when a command or page starts, nor for a Wilson interval (kpis.core.normal)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_starting_the_command_line_and_the_scorecard_does_not_import_scipy_stats():
    code = ("import sys, kpis.cli.main, kpis.setup.bootstrap, kpis.board.scorecard, kpis.core.intervals\n"
            "print('scipy.stats' in sys.modules)\n"
            "from kpis.core.intervals import wilson_pct\n"
            "print(wilson_pct([5], [10]))\n"
            "from kpis.core.intervals import byars_limits\n"
            "print(byars_limits([10, 250, 4000]))\n"
            "print('scipy.stats' in sys.modules)\n"
            "from kpis.core.intervals import byars_interval\n"
            "print(byars_interval(3))\n"
            "print('scipy.stats' in sys.modules)\n"
            "print(byars_interval(2.5))\n"
            "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    # Wilson, Byar, the exact Poisson limits of a whole count: no scipy; of a fraction: scipy
    before, value, large, after, exact, whole, fraction, last = out.stdout.split("\n")[:8]
    assert (before, after, whole, last) == ("False", "False", "False", "True")
    assert "23.659" in value and "76.340" in value  # 5 of 10: Wilson's 95% limits
    assert "4.787" in large and "18.39" in large     # Byar's limits of counts of 10 or more: no scipy either
    assert "0.618" in exact and "8.767" in exact    # 3 events: the exact Poisson 95% limits
    assert "0.415" in fraction and "8.006" in fraction  # 2.5 (an estimate): from chi-squared quantiles


def test_the_lazy_module_hands_out_scipy_stats_own_objects():
    from scipy import stats

    from kpis.core import scipy_stats
    assert scipy_stats.norm is stats.norm and scipy_stats.chi2 is stats.chi2
