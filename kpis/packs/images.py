"""Static chart images (PNG) drawn by kaleido in Debian's Chromium, one browser per process.

kaleido 1.x drives a headless Chrome or Chromium. Starting one per image costs about 3 s,
so the first image starts kaleido's persistent "sync server" (`kaleido.start_sync_server`)
and every later image reuses it (about 0.2 s each). The browser is the one `kpis.core.chromium`
finds (the same as the browser tests'), and kaleido is never let download one: without a browser,
`ChartRendererUnavailable` says what to install.

kaleido's server answers one request at a time through shared queues, so calls from
several threads (Streamlit runs one per session) are serialised by a lock here.

The last `CACHE_SIZE` images are kept, keyed by the figure's full JSON and the size: a pack's PDF and
PowerPoint draw the same charts, and an unchanged figure always gives the same picture, so it is drawn once.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict

import kaleido
import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

from kpis.core import chromium
from kpis.core.chromium import ChromiumNotFound, find_chromium

START_TIMEOUT_S = 60.0
CACHE_SIZE = 96  # a 24-KPI pack's charts and then some; about 0.1 MB each
INSTALL_HINT = ("Charts are drawn by a headless Chromium, and none was found. Install Debian's Chromium with "
                "`apt-get install chromium` (or set CHROMIUM to a Chrome or Chromium executable). "
                "Nothing was downloaded.")

_lock = threading.RLock()
_state = {"started": False, "broken": ""}
_drawn: OrderedDict[tuple[str, int, int, float], bytes] = OrderedDict()


class ChartRendererUnavailable(RuntimeError):
    """No browser to draw charts with, or it would not start; the message says what to do."""


def find_browser() -> str:
    """The Chrome or Chromium executable kaleido should use; raise ChartRendererUnavailable if none."""
    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        detail = str(exc).split(". ")[0] + ". " if os.environ.get(chromium.ENV_VAR) else ""
        raise ChartRendererUnavailable(detail + INSTALL_HINT) from None


def renderer_available() -> bool:
    try:
        find_browser()
    except ChartRendererUnavailable:
        return False
    return True


def _server_thread_alive() -> bool:
    server = getattr(kaleido, "_global_server", None)
    thread = getattr(server, "_thread", None)
    return thread is None or thread.is_alive()


def _call_with_watchdog(fn, timeout: float):
    """Run `fn` in a helper thread; fail if kaleido's server thread dies or `timeout` passes.

    kaleido's sync server waits on a queue with no timeout: if the browser never starts,
    a plain call would hang for ever.
    """
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        worker.join(0.1)
        if worker.is_alive() and (not _server_thread_alive() or time.monotonic() > deadline):
            raise ChartRendererUnavailable(f"Chromium did not start to draw charts. {INSTALL_HINT}")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def start() -> None:
    """Start the one kaleido server of this process (a no-op once it runs)."""
    with _lock:
        if _state["broken"]:
            raise ChartRendererUnavailable(_state["broken"])
        if _state["started"]:
            return
        browser = find_browser()
        os.environ["BROWSER_PATH"] = browser  # kaleido (choreographer) reads it; it never downloads then
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _state["started"] = True
        try:  # the first image starts the browser: watch it
            _call_with_watchdog(lambda: _render(go.Figure(), 100, 100, 1), START_TIMEOUT_S)
        except ChartRendererUnavailable as exc:
            _state["broken"] = str(exc)
            raise
        except Exception as exc:
            _state["broken"] = f"Chromium could not draw a chart ({exc}). {INSTALL_HINT}"
            raise ChartRendererUnavailable(_state["broken"]) from None


def stop() -> None:
    """Stop the server (it starts again on the next image)."""
    with _lock:
        if _state["started"]:
            kaleido.stop_sync_server(silence_warnings=True)
            _state["started"] = False


def _render(fig: go.Figure, width: int, height: int, scale: float) -> bytes:
    return kaleido.calc_fig_sync(fig.to_dict(), opts=dict(format="png", width=width, height=height, scale=scale))


def render_png(fig: go.Figure, *, width: int, height: int, scale: float = 2.0) -> bytes:
    """The figure as PNG bytes, `width` x `height` layout pixels drawn at `scale` (from the cache when the
    same figure was drawn at the same size before)."""
    spec = json.dumps(fig.to_dict(), sort_keys=True, cls=PlotlyJSONEncoder)   # a copy's keys may come in another order
    key = (hashlib.sha256(spec.encode()).hexdigest(), width, height, scale)
    with _lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
        start()
        png = _render(fig, width, height, scale)
        _drawn[key] = png
        while len(_drawn) > CACHE_SIZE:
            _drawn.popitem(last=False)
        return png
