"""`python -m kpis`: the command-line interface."""
import sys

from kpis.cli import main

sys.exit(main())
