"""Accessibility checks in a real Chromium page: axe-core, focus visibility, chart-text contrast, the title.

Used by tests/browser/test_accessibility.py (the focus, chart-text and title sweep) and test_accessibility_axe.py
(axe on every page); each check takes a Playwright page already showing an app page (open_page opens one).
Contrast is WCAG's relative-luminance ratio. Which content is Streamlit's own (its navigation, header, toolbar,
data grid and widget internals) and which is the app's is decided by `STREAMLIT_OWN`: an element inside one
of those is Streamlit's; everything else (markdown, HTML, headings, figures, labels the app wrote) is the app's.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.browser import ROOT, wait_for_app, wait_for_drawn

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Streamlit's own markup: the app cannot change it except through CSS.
STREAMLIT_OWN = ", ".join(f'[data-testid="{t}"]' for t in (
    "stSidebarNav", "stSidebarHeader", "stSidebarCollapseButton", "stSidebarCollapsedControl", "stHeader",
    "stToolbar", "stStatusWidget", "stDecoration", "stMainMenu", "stDataFrame", "stDataFrameResizable",
    "stElementToolbar", "stFileUploaderDropzone", "stAppDeployButton", "stBaseButton-headerNoPadding"))

_AXE_RUN = """async ([tags, own]) => {
    const res = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return res.violations.map(v => ({id: v.id, impact: v.impact || 'minor', help: v.help, tags: v.tags,
        nodes: v.nodes.map(n => {
            const el = document.querySelector(n.target[0]);
            return {target: n.target.join(' '), streamlit: !!(el && el.closest(own))};
        })}));
}"""


def run_axe(page, axe_js) -> list[dict]:
    """axe's violations on this page, each node marked as Streamlit's own or the app's."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(_AXE_RUN, [AXE_TAGS, STREAMLIT_OWN])


def split_counts(violations: list[dict], impacts=("critical", "serious")) -> dict[str, int]:
    """Nodes with a blocking impact: how many are the app's own and how many Streamlit's."""
    ours = sum(1 for v in violations if v["impact"] in impacts for n in v["nodes"] if not n["streamlit"])
    theirs = sum(1 for v in violations if v["impact"] in impacts for n in v["nodes"] if n["streamlit"])
    return {"app": ours, "streamlit": theirs}


def _channel(c: float) -> float:
    c = c / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lum(rgb) -> float:
    r, g, b = rgb[:3]
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a, b) -> float:
    la, lb = _lum(a), _lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


# Each 0-255 channel linearised once by _channel, so `contrasts` gives for many pixels at once the very numbers
# `contrast` gives for one (the same IEEE operations in the same order), without a Python call per pixel.
_LINEAR: list = []


def contrasts(a, b):
    """`contrast` of each pair of pixels in two arrays of 0-255 RGB ints (shape …×3), as a numpy array."""
    import numpy as np
    if not _LINEAR:
        _LINEAR.append(np.array([_channel(c) for c in range(256)]))
    t = _LINEAR[0]
    la = 0.2126 * t[a[..., 0]] + 0.7152 * t[a[..., 1]] + 0.0722 * t[a[..., 2]]
    lb = 0.2126 * t[b[..., 0]] + 0.7152 * t[b[..., 1]] + 0.0722 * t[b[..., 2]]
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


# The visible box of what has focus: a visually hidden input (checkbox, radio, toggle) stands for its label.
_FOCUSED = """() => {
    let el = document.activeElement;
    if (!el || el === document.body) return null;
    let r = el.getBoundingClientRect();
    const small = r.width <= 2 || r.height <= 2;
    // A data grid moves focus to a hidden cell and rings the whole grid: the grid is what is seen.
    const grid = el.closest('[data-testid="stDataFrame"]');
    const inGrid = grid && !el.closest('[data-testid="stElementToolbar"]');
    const host = inGrid ? grid : small ? (el.closest('label') || el.parentElement) : el;
    if ((small || inGrid) && host) r = host.getBoundingClientRect();
    const st = getComputedStyle(el);
    const hidden = r.width < 1 || r.height < 1 || st.visibility === 'hidden' || r.bottom < 0 || r.right < 0
        || r.top > innerHeight || r.left > innerWidth;
    let op = 1; for (let e = el; e; e = e.parentElement) op *= parseFloat(getComputedStyle(e).opacity);
    const desc = (el.getAttribute('aria-label') || el.innerText || el.getAttribute('data-testid')
        || el.tagName).trim().slice(0, 40);
    const tid = (el.closest('[data-testid]') || {}).dataset?.testid || '';
    return {x: r.left, y: r.top, w: r.width, h: r.height, hidden, opacity: op, desc, tag: el.tagName, tid,
            streamlit: !!el.closest(arguments[0] || 'nothing')};
}"""


def _clip(page, box) -> tuple[int, int, int, int]:
    """The element's box and 6 px around it, within the window."""
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    return (max(0, int(box["x"]) - 6), max(0, int(box["y"]) - 6),
            min(vw, int(box["x"] + box["w"]) + 6), min(vh, int(box["y"] + box["h"]) + 6))


def _png(page, box):
    import numpy as np
    from PIL import Image
    x0, y0, x1, y1 = _clip(page, box)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    data = page.screenshot(clip={"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}, animations="disabled")
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


# Transitions and animations off while the sweep runs: each focus indicator is judged in its steady state (what
# WCAG 2.4.11 and 1.4.11 measure), so one rendering frame after a change of focus shows it, with no fixed wait.
STEADY_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"
# Resolves once focus has stayed put over two drawn frames and a task: a data grid passes focus on from its canvas
# to a hidden cell by itself, and the stop is where focus comes to rest, as a keyboard user finds it.
_SETTLE = """async () => { const frame = () => new Promise(done => requestAnimationFrame(done));
    for (let i = 0; i < 20; i++) { const el = document.activeElement;
        await frame(); await frame(); await new Promise(done => setTimeout(done, 0));
        if (document.activeElement === el) return true; }
    return false; }"""
# Blur the element that had focus, then wait until that has been drawn (the plain screenshot is of that frame).
_BLUR = f"""async () => {{ window.__a11yFocused = document.activeElement; document.activeElement.blur();
    return await ({_SETTLE})(); }}"""
# Focus it again for the next Tab. Inside a data grid focus moves on by itself (above), so there the next Tab waits
# until it has come to rest, as before; elsewhere nothing moves it, and nothing is measured until the next stop, which
# waits for its own drawn frames first (tab_through): there only the tasks its focus handlers queued (React renders
# in tasks) are let run, not two frames.
_REFOCUS = f"""async () => {{ const el = window.__a11yFocused; window.__a11yFocused = null; if (el) el.focus();
    if (el && el.closest('[data-testid="stDataFrame"]')) return await ({_SETTLE})();
    for (let i = 0; i < 2; i++) await new Promise(done => setTimeout(done, 0));
    return true; }}"""


def steady(page) -> None:
    """Turn CSS transitions and animations off on this page (until it is loaded again)."""
    page.add_style_tag(content=STEADY_CSS)


def focus_indicator(page, box) -> dict:
    """Compare the focused element with the same element unfocused, pixel by pixel.

    The indicator is every pixel that changes; its contrast is the ratio between the pixel's two colours (focused
    and not), which is how WCAG 2.2 measures a focus indicator's change of state. It passes when the pixels that
    change by at least 3:1 would go around the element once (its perimeter), i.e. a 1px outline at least.
    Call it with the page steady (`steady`) and a frame drawn since focus moved, as tab_through does."""
    import numpy as np
    focused = _png(page, box)
    page.evaluate(_BLUR)
    plain = _png(page, box)
    page.evaluate(_REFOCUS)
    if focused is None or plain is None or focused.shape != plain.shape:
        return {"max": 0.0, "pixels_3to1": 0, "needed": 1, "ok": False}
    changed = np.any(np.abs(focused - plain) > 8, axis=2)
    ys, xs = np.nonzero(changed)
    step = max(1, len(ys) // 4000)  # every step-th changed pixel, each counting for step
    ratios = contrasts(focused[ys[::step], xs[::step]], plain[ys[::step], xs[::step]])
    strong = int(np.count_nonzero(ratios >= 3)) * step
    x0, y0, x1, y1 = _clip(page, box)  # the part on screen: a tall grid's ring goes on below the window
    needed = int(2 * (max(0, x1 - x0 - 12) + max(0, y1 - y0 - 12)))
    return {"max": round(float(ratios.max(initial=1.0)), 2), "pixels_3to1": strong, "needed": needed,
            "ok": strong >= needed}


def tab_through(page, *, limit: int = 90) -> list[dict]:
    """Press Tab from the top of the page until focus comes round again; measure each stop's indicator."""
    steady(page)
    page.mouse.move(0, 0)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    where = f"""async () => {{ await ({_SETTLE})();
        const info = ({_FOCUSED.replace("arguments[0]", repr(STREAMLIT_OWN))})();
        return info && {{...info, scroll: scrollY}}; }}"""
    stops, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(where)  # once focus has come to rest and been drawn
        if info is None:
            continue
        key = (info["tid"], info["desc"], info["tag"], round(info["y"] + info.pop("scroll")))
        if key in seen:
            break
        seen.add(key)
        if info["hidden"] or info["opacity"] < 0.1:
            stops.append({**info, "max": 0.0, "ok": False, "why": "takes focus while invisible"})
            continue
        stops.append({**info, **focus_indicator(page, info)})
    return stops


_CHART_TEXT = """() => {
    const parse = s => { const m = (s || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
        const p = m[1].split(',').map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const over = (fg, bg) => [0,1,2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
    const out = [];
    document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').forEach((plot, k) => {
        let bg = [255, 255, 255];
        for (let e = plot; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c[3] > 0) { bg = over(c, [255,255,255]); break; } }
        const main = plot.querySelector('svg.main-svg');
        const paper = main && parse(main.style.background || getComputedStyle(main).backgroundColor);
        if (paper && paper[3] > 0) bg = over(paper, bg);
        plot.querySelectorAll('svg text').forEach(t => {
            if (!t.textContent.trim()) return;
            const r = t.getBoundingClientRect(); if (r.width < 1) return;
            const cs = getComputedStyle(t); let fg = parse(cs.fill); if (!fg) return;
            let op = parseFloat(cs.opacity) * parseFloat(cs.fillOpacity || 1);
            for (let e = t.parentElement; e && e !== plot; e = e.parentElement)
                op *= parseFloat(getComputedStyle(e).opacity);
            let back = bg;
            const ann = t.closest('g.annotation, g.legend');
            const box = ann && ann.querySelector('rect.bg');
            if (box) { const bs = getComputedStyle(box); const f = parse(bs.fill);
                if (f) { f[3] *= parseFloat(bs.fillOpacity || 1) * parseFloat(bs.opacity || 1);
                         if (f[3] > 0) back = over(f, bg); } }
            fg = over([fg[0], fg[1], fg[2], fg[3] * op], back);
            out.push({chart: k, text: t.textContent.trim().slice(0, 40), fg, bg: back,
                      cls: t.getAttribute('class') || ''});
        });
    });
    return out;
}"""


def wait_for_charts(page, *, at_least: int = 0, timeout: float = 30_000) -> None:
    """Wait until the page shows `at_least` plotly charts and every chart on it has drawn its text."""
    page.wait_for_function("""(n) => { const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
        return charts.length >= n && charts.every(c => c.querySelector('svg.main-svg text')); }""", arg=at_least,
                           timeout=timeout)


def open_page(page, url: str, path: str, *, charts: int = 0, timeout: float = 30_000) -> None:
    """Open an app page and wait until it has drawn everything (at least `charts` plotly charts among it)."""
    page.goto(f"{url}/{path}")
    wait_for_app(page, timeout=timeout)
    wait_for_charts(page, at_least=charts, timeout=timeout)
    wait_for_drawn(page, timeout=timeout)
    assert page.locator('[data-testid="stException"]').count() == 0, f"{path or 'home'} shows an exception"


def registered_pages(db: Path) -> list[tuple[str, str]]:
    """(url path, title) of every page st.navigation registers for this database, via AppTest."""
    code = ("import json\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({str(ROOT / 'dashboard.py')!r}, default_timeout=120).run()\n"
            "print('PAGES', json.dumps([(i.get('url_pathname') or '', i.get('page_name')) "
            "for i in at._registered_pages.values()]))")  # AppTest keeps the registry private; read it
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "KPIS_DB": str(db)})
    line = next((x for x in out.stdout.splitlines() if x.startswith("PAGES ")), None)
    assert line, out.stderr[-2000:]
    return [tuple(p) for p in json.loads(line[len("PAGES "):])]


def chart_pages() -> set[str]:
    """The titles of the pages that draw charts: each outcome area, the KPI page and the Explorer."""
    from kpis.core.framework import load_framework
    return {a.name for a in load_framework().areas} | {"KPI detail", "Explorer"}


def chart_texts(page) -> list[dict]:
    """Every text in every plotly chart on the page, with its contrast against what is behind it."""
    return [{**t, "ratio": round(contrast(t["fg"], t["bg"]), 2)} for t in page.evaluate(_CHART_TEXT)]
