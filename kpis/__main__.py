"""`python -m kpis`: the command-line interface."""
import sys

from kpis.cli.main import run

sys.exit(run())
