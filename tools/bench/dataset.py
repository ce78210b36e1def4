"""A seeded, full-scale synthetic dataset for `tools.bench.run`.

At scale 1 it is as big as the real thing:

- LAIT long format (Parquet), laid out like DfE's full ``bds_long`` file: the 170 councils, regions and
  England of the shipped extract x 378 measures x 10 years = 642,600 rows (the real file has about
  641,000). Columns ``Short Desc, Data item, Years, LA and Regions, Values, LA Number, Region``; values
  are text, about one in ten is LAIT's '-' marker, as in the extract;
- a Fingertips "download data" CSV: every council, every region and England x 60 indicators x 10 years;
- the partnership's 16 KPIs, quarterly for 10 years (40 quarters), with every breakdown of the
  framework's 8 breakdown types, written to the store as one return per sub-group per quarter;
- a copy of the framework in which every KPI is quarterly and has all 8 breakdowns.

Scale n multiplies the number of indicators (LAIT measures, Fingertips indicators and KPIs: each KPI
is cloned n-1 times, EH01 -> EH101, EH201, ...), never the number of places or years, so a bigger
scale looks like a bigger partnership with more published measures, not a longer history. Fractional
scales (for smoke tests) shrink the measures the same way and keep one KPI per outcome area.
Nothing here is real data: the local values are flagged demo, the measures are named 'bench'.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kpis.core.framework import DATA_DIR, Framework, load_framework
from kpis.core.periods import financial_quarter, quarters_between
from kpis.setup.demo import DEMO_SUBMITTER
from kpis.store.audit import audit
from kpis.store.batches import finish_batch, start_batch
from kpis.store.database import Store, now
from kpis.store.observations import write_observations

SEED = 90_2025
YEARS = list(range(2016, 2026))                         # ten years, as LAIT shows them ('2025' = 2024/25)
LAIT_MEASURES = 378                                     # x 170 areas x 10 years = 642,600 rows
FINGERTIPS_INDICATORS = 60
FIRST_QUARTER, QUARTERS = (2016, 1), 40                 # 2016/17 Q1 .. 2025/26 Q4
LAIT_EXTRACT = DATA_DIR / "reference" / "lait" / "bds_long_extract.parquet"
LAIT_DICTIONARY = DATA_DIR / "reference" / "lait" / "lait_data_dictionary_extract.csv"
AREAS_CSV = DATA_DIR / "reference" / "areas.csv"
DEFAULT_FRAMEWORK = DATA_DIR / "frameworks" / "worcestershire.toml"
FINGERTIPS_COLUMNS = [
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to percentiles", "Time period Sortable", "New data",
    "Compared to goal", "Time period range"]


@dataclass
class BenchFiles:
    scale: float
    lait: Path
    lait_rows: int
    fingertips: Path
    fingertips_rows: int
    framework: Path
    kpis: int


def scaled(n: int, scale: float) -> int:
    return max(1, math.ceil(n * scale))


# -- LAIT ------------------------------------------------------------------------------------
def lait_measures(n: int) -> list[tuple[str, str]]:
    """(Short Desc, Data item): the framework's LAIT comparators and the dictionary's measures first."""
    codes: list[tuple[str, str]] = []
    seen: set[str] = set()
    extract = pq.read_table(LAIT_EXTRACT, columns=["Short Desc", "Data item"]).to_pandas()
    dictionary = pd.read_csv(LAIT_DICTIONARY, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for code, item in [*extract.drop_duplicates("Short Desc").itertuples(index=False),
                       *dictionary[["Measure_short", "Measure"]].itertuples(index=False)]:
        code = str(code).strip()
        if code and code not in seen:
            seen.add(code)
            codes.append((code, str(item)))
    i = 0
    while len(codes) < n:
        i += 1
        codes.append((f"BENCH_M{i:05d}", f"Synthetic bench measure {i} (%)"))
    return codes[:n]


def lait_areas() -> pd.DataFrame:
    """The extract's places: every council (with old ones), the regions, inner and outer London, England."""
    t = pq.read_table(LAIT_EXTRACT, columns=["LA and Regions", "LA Number", "Region"]).to_pandas()
    return t.drop_duplicates(["LA and Regions", "LA Number"]).reset_index(drop=True)


def write_lait(path: Path, *, scale: float, rng: np.random.Generator) -> int:
    measures = lait_measures(scaled(LAIT_MEASURES, scale))
    areas = lait_areas()
    n_m, n_a, n_y = len(measures), len(areas), len(YEARS)
    m_idx = np.repeat(np.arange(n_m), n_a * n_y)
    a_idx = np.tile(np.repeat(np.arange(n_a), n_y), n_m)
    y_idx = np.tile(np.arange(n_y), n_m * n_a)
    level = rng.uniform(5, 90, n_m)[m_idx] + rng.normal(0, 6, n_a)[a_idx] + 0.4 * y_idx
    value = np.round(level + rng.normal(0, 2.5, len(m_idx)), 1)
    missing = rng.random(len(m_idx)) < 0.10
    codes = np.array([c for c, _ in measures], dtype=object)
    items = np.array([i for _, i in measures], dtype=object)
    values = pd.Series(value).map("{:.1f}".format).to_numpy(dtype=object)
    values[missing] = "-"
    table = pa.table({
        "Short Desc": pa.array(codes[m_idx], pa.string()),
        "Data item": pa.array(items[m_idx], pa.string()),
        "Years": pa.array(np.array([str(y) for y in YEARS], dtype=object)[y_idx], pa.string()),
        "LA and Regions": pa.array(areas["LA and Regions"].to_numpy(dtype=object)[a_idx], pa.string()),
        "Values": pa.array(values, pa.string()),
        "LA Number": pa.array(areas["LA Number"].to_numpy(dtype="float64")[a_idx], pa.float64()),
        "Region": pa.array(areas["Region"].astype(str).to_numpy(dtype=object)[a_idx], pa.string()),
    })
    pq.write_table(table, path, compression="snappy")
    return table.num_rows


# -- Fingertips ------------------------------------------------------------------------------
def fingertips_indicators(framework: Framework, n: int) -> list[tuple[str, str, str | None]]:
    """(id, name, year type): the framework's Fingertips comparators, then synthetic ids from 800001."""
    out, seen = [], set()
    for k in framework.kpis:
        c = k.comparator
        if c and c.source == "fingertips" and c.code not in seen:
            seen.add(c.code)
            out.append((c.code, c.name or f"Indicator {c.code}", c.options.get("year_type")))
    i = 0
    while len(out) < n:
        i += 1
        out.append((str(800_000 + i), f"Synthetic bench indicator {i} (%)", None))
    return out[:n]


def fingertips_period(year: int, year_type: str | None) -> str:
    """'2024/25' for financial and academic years (the year ending in `year`), '2025' for calendar years."""
    if year_type and "calendar" in year_type.lower():
        return str(year)
    return f"{year - 1}/{year % 100:02d}"


def write_fingertips(path: Path, *, framework: Framework, scale: float, rng: np.random.Generator) -> int:
    indicators = fingertips_indicators(framework, scaled(FINGERTIPS_INDICATORS, scale))
    areas = pd.read_csv(AREAS_CSV, dtype=str)
    areas = areas[areas["area_type"].isin(["country", "region", "county_ua"]) & areas["valid_to"].isna()]
    n_i, n_a, n_y = len(indicators), len(areas), len(YEARS)
    i_idx = np.repeat(np.arange(n_i), n_a * n_y)
    a_idx = np.tile(np.repeat(np.arange(n_a), n_y), n_i)
    y_idx = np.tile(np.arange(n_y), n_i * n_a)
    n = len(i_idx)
    denominator = rng.integers(800, 60_000, n_a)[a_idx].astype("float64")
    p = np.clip(rng.uniform(0.05, 0.8, n_i)[i_idx] + rng.normal(0, 0.03, n_a)[a_idx] + 0.003 * y_idx, 0.01, 0.99)
    count = rng.binomial(denominator.astype(np.int64), p).astype("float64")
    value = 100 * count / denominator
    half = 196 * np.sqrt(p * (1 - p) / denominator)
    suppressed = rng.random(n) < 0.02
    area_type = areas["area_type"].map({"country": "England", "region": "Region", "county_ua": "Counties & UAs"})
    periods = np.array([[fingertips_period(y, yt) for y in YEARS] for _, _, yt in indicators], dtype=object)
    blank = np.full(n, None, dtype=object)
    cols = {
        "Indicator ID": np.array([i for i, _, _ in indicators], dtype=object)[i_idx],
        "Indicator Name": np.array([nm for _, nm, _ in indicators], dtype=object)[i_idx],
        "Parent Code": np.where(areas["area_type"].to_numpy()[a_idx] == "country", None, "E92000001"),
        "Parent Name": np.where(areas["area_type"].to_numpy()[a_idx] == "country", None, "England"),
        "Area Code": areas["area_code"].to_numpy(dtype=object)[a_idx],
        "Area Name": areas["name"].to_numpy(dtype=object)[a_idx],
        "Area Type": area_type.to_numpy(dtype=object)[a_idx],
        "Sex": np.full(n, "Persons", dtype=object), "Age": np.full(n, "<18 yrs", dtype=object),
        "Category Type": blank, "Category": blank,
        "Time period": periods[i_idx, y_idx],
        "Value": np.where(suppressed, np.nan, value),
        "Lower CI 95.0 limit": np.where(suppressed, np.nan, value - half),
        "Upper CI 95.0 limit": np.where(suppressed, np.nan, value + half),
        "Lower CI 99.8 limit": np.full(n, np.nan), "Upper CI 99.8 limit": np.full(n, np.nan),
        "Count": np.where(suppressed, np.nan, count), "Denominator": denominator,
        "Value note": np.where(suppressed, "Value suppressed for disclosure control due to small count", None),
        "Recent Trend": blank, "Compared to England value or percentiles": blank,
        "Compared to percentiles": blank,
        "Time period Sortable": (np.array(YEARS) * 10_000)[y_idx], "New data": blank, "Compared to goal": blank,
        "Time period range": np.full(n, "1y", dtype=object),
    }
    kinds = {"f": pa.float64(), "i": pa.int64()}
    table = pa.table({c: pa.array(np.round(cols[c], 5) if cols[c].dtype.kind == "f" else cols[c],
                                  kinds.get(cols[c].dtype.kind, pa.string()), from_pandas=True)  # NaN -> empty
                      for c in FINGERTIPS_COLUMNS})
    pacsv.write_csv(table, path)
    return n


# -- the framework and the local returns -----------------------------------------------------
def bench_framework_text(source: Path, scale: float) -> str:
    """The framework's TOML with every KPI quarterly and broken down every way, cloned to `scale` x KPIs."""
    text = source.read_text(encoding="utf-8")
    head, *blocks = re.split(r"(?m)^(?=\[\[kpis\]\]\s*$)", text)
    # Later top-level tables (after the last KPI) would be swallowed by the last block; there are none today.
    groups = load_framework(source).breakdown_values
    all_breakdowns = "breakdowns = [" + ", ".join(f'"{b}"' for b in ["all", *groups]) + "]"
    out = [head]
    copies = scaled(1, scale) if scale >= 1 else 1
    kept = blocks if scale >= 1 else _first_of_each_area(blocks)  # a smoke run: one KPI per outcome area
    for copy in range(copies):
        for block in kept:
            b = re.sub(r'(?m)^frequency = "annual"', 'frequency = "quarterly"', block)
            b = re.sub(r"(?m)^breakdowns = \[.*\]", all_breakdowns, b)
            if copy:
                b = re.sub(r'(?m)^id = "([A-Z]+)([0-9]{2})"',
                           lambda m, copy=copy: f'id = "{m.group(1)}{copy}{m.group(2)}"', b)
                b = re.sub(r'(?m)^(short_title|title) = "', lambda m, copy=copy: f'{m.group(1)} = "(copy {copy}) ', b)
            out.append(b)
    if scale < 1:  # the demo's per-KPI profiles may name only KPIs that are kept
        ids = set(re.findall(r'(?m)^id = "([A-Z]+[0-9]+)"', "".join(kept)))
        out[0] = re.sub(r"(?m)^([A-Z]+[0-9]+) = \[.*\]\n", lambda m: m.group(0) if m.group(1) in ids else "", out[0])
    return "".join(out)


def _first_of_each_area(blocks: list[str]) -> list[str]:
    seen, kept = set(), []
    for block in blocks:
        m = re.search(r'(?m)^area = "([^"]+)"', block)
        if m and m.group(1) not in seen:
            seen.add(m.group(1))
            kept.append(block)
    return kept


def kpi_rows(framework: Framework, rng: np.random.Generator) -> pd.DataFrame:
    """Every KPI x every breakdown x 40 quarters, as `write_observations` takes them."""
    quarters = quarters_between(financial_quarter(*FIRST_QUARTER),
                                financial_quarter(FIRST_QUARTER[0] + QUARTERS // 4 - 1, 4))
    cells = [(k.id, k.unit, "all", "all") for k in framework.kpis]
    cells += [(k.id, k.unit, t, v) for k in framework.kpis for t in k.breakdowns if t != "all"
              for v in framework.breakdown_values.get(t, ())]
    n_c, n_q = len(cells), len(quarters)
    c_idx, q_idx = np.repeat(np.arange(n_c), n_q), np.tile(np.arange(n_q), n_c)
    is_pct = np.array([u == "percentage" for _, u, _, _ in cells])[c_idx]
    denominator = np.where(is_pct, rng.integers(40, 4000, n_c)[c_idx], np.nan)
    p = np.clip(rng.uniform(0.1, 0.9, n_c)[c_idx] + 0.002 * q_idx, 0.01, 0.99)
    numerator = np.where(is_pct, rng.binomial(np.nan_to_num(denominator, nan=1).astype(np.int64), p), np.nan)
    value = np.where(is_pct, 100 * numerator / denominator, rng.poisson(rng.uniform(20, 400, n_c)[c_idx]))
    return pd.DataFrame({
        "indicator_id": np.array([c[0] for c in cells], dtype=object)[c_idx],
        "area_code": framework.home_area,
        "breakdown_type": np.array([c[2] for c in cells], dtype=object)[c_idx],
        "breakdown_value": np.array([c[3] for c in cells], dtype=object)[c_idx],
        "period_label": np.array([q.label for q in quarters], dtype=object)[q_idx],
        "period_type": np.array([q.type for q in quarters], dtype=object)[q_idx],
        "period_start": np.array([q.start for q in quarters], dtype=object)[q_idx],
        "period_end": np.array([q.end for q in quarters], dtype=object)[q_idx],
        "value": value, "numerator": numerator, "denominator": denominator,
        "status": "published", "status_note": "Bench data (synthetic)", "is_demo": True,
    })


def write_kpi_returns(store: Store, framework: Framework, *, seed: int = SEED) -> int:
    """One return per sub-group per quarter, as the sub-groups would send them. Returns the values written."""
    rows = kpi_rows(framework, np.random.default_rng(seed + 3))
    area_of = {k.id: k.area for k in framework.kpis}
    rows["_area"] = rows["indicator_id"].map(area_of)
    written = 0
    for (period, area), part in rows.groupby(["period_label", "_area"], sort=True):
        at = now()
        with store.transaction() as cur:
            bid = start_batch(cur, kind="submission", at=at, source="bench", submitted_by=DEMO_SUBMITTER,
                              outcome_area=area, period_label=period, is_demo=True, note="Bench data (synthetic)")
            counts = write_observations(cur, batch_id=bid, rows=part.drop(columns="_area"), at=at)
            finish_batch(cur, bid, rows_read=len(part), rows_imported=len(part), counts=counts)
            audit(cur, actor=DEMO_SUBMITTER, action="submission", at=at, detail={"batch_id": bid, "bench": True})
        written += counts["new"] + counts["changed"]
    return written


def generate(out_dir: str | Path, *, scale: float = 1.0, seed: int = SEED,
             framework_source: str | Path = DEFAULT_FRAMEWORK) -> BenchFiles:
    """Write the bench files for one scale into `out_dir` (the same seed gives the same files)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fw_path = out / "framework.toml"
    fw_path.write_text(bench_framework_text(Path(framework_source), scale), encoding="utf-8")
    framework = load_framework(fw_path)
    rng = np.random.default_rng(seed)
    lait = out / "lait_bds_long.parquet"
    lait_rows = write_lait(lait, scale=scale, rng=rng)
    fingertips = out / "fingertips_bench.csv"
    fingertips_rows = write_fingertips(fingertips, framework=framework, scale=scale, rng=rng)
    return BenchFiles(scale=scale, lait=lait, lait_rows=lait_rows, fingertips=fingertips,
                      fingertips_rows=fingertips_rows, framework=fw_path, kpis=len(framework.kpis))
