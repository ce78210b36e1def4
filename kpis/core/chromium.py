"""Where the headless Chromium is: one answer for chart images, the load test and the browser tests.

Looked for in this order, and never downloaded at run time:
1. `CHROMIUM`, an executable path set by whoever runs us;
2. `chromium` (or `chromium-browser`, `google-chrome`) on PATH, which is Debian's package;
3. /usr/bin/chromium;
4. the Chromium that Playwright installed (`python -m playwright install chromium`, which
   `make test` runs on a machine where Debian's package cannot be installed).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV_VAR = "CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = ("No headless Chromium was found. Install Debian's with `apt-get install chromium`, or run "
                "`make test` once (it installs one), or set CHROMIUM to a Chrome or Chromium executable.")


class ChromiumNotFound(RuntimeError):
    """No Chromium to run; the message says what to install."""


def _executable(path: str | Path) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def playwright_chromium() -> str | None:
    """The newest Chromium that `playwright install chromium` left in its cache, if any."""
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    found = sorted(base.glob("chromium-*/chrome-linux*/chrome"), reverse=True)
    return next((str(p) for p in found if _executable(p)), None)


def find_chromium() -> str:
    """The Chromium executable to use; raise ChromiumNotFound (with what to do) if there is none."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        if _executable(explicit):
            return explicit
        raise ChromiumNotFound(f"{ENV_VAR}={explicit!r} is not an executable file. {INSTALL_HINT}")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    if _executable(DEBIAN_CHROMIUM):
        return str(DEBIAN_CHROMIUM)
    found = playwright_chromium()
    if found:
        return found
    raise ChromiumNotFound(INSTALL_HINT)


if __name__ == "__main__":  # `python -m kpis.core.chromium`: print the path, or exit 1 saying what to do
    import sys
    try:
        print(find_chromium())
    except ChromiumNotFound as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
