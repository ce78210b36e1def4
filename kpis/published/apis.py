"""The publishers' API addresses and the default timeout: plain constants, so that the command line can show them
in its help without loading the import machinery."""
from __future__ import annotations

FINGERTIPS_API = "https://fingertips.phe.org.uk/api"
EES_API = "https://api.education.gov.uk/statistics/v1"
TIMEOUT_SECONDS = 15.0
