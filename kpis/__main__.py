"""`python -m kpis`: the command-line interface."""
import sys

from kpis.cli.main import main

sys.exit(main())
