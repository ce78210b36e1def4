"""Areas and comparison areas: England, the regions, every council and its statistical neighbours.

Reads `data/reference/areas.csv` and `data/reference/statistical_neighbours.csv`
(made by `tools/extract_reference.py` from DfE's published files). An area can be
named by its ONS code (`E06000001`, Hartlepool) or its DfE LA number (`805`, also `805.0` as
it comes out of a spreadsheet). A DfE number reused by a successor council (815
North Yorkshire, 825 Buckinghamshire, 933 Somerset) means the current council.
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kpis.core.dates import long_date

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
REFERENCE_DIR = DATA_DIR / "reference"
AREAS_FILE = REFERENCE_DIR / "areas.csv"
NEIGHBOURS_FILE = REFERENCE_DIR / "statistical_neighbours.csv"
ENGLAND = "E92000001"
# ONS codes of England's regions, by the names the publishers use (lower case).
REGIONS = {
    "north east": "E12000001", "north west": "E12000002", "yorkshire and the humber": "E12000003",
    "yorkshire and humber": "E12000003", "east midlands": "E12000004", "west midlands": "E12000005",
    "east of england": "E12000006", "east": "E12000006", "london": "E12000007", "south east": "E12000008",
    "south west": "E12000009", "england": ENGLAND,
}

AREA_COLUMNS = ["area_code", "dfe_code", "name", "area_type", "region_code", "region_name",
                "valid_from", "valid_to", "successor_code"]
NEIGHBOUR_COLUMNS = ["dfe_code", "rank", "neighbour_dfe_code", "closeness", "source"]
COUNCIL = "county_ua"

_ONS = re.compile(r"^[EWSN]\d{8}$")
_DFE = re.compile(r"^\d{1,4}(\.0*)?$")


class UnknownAreaError(KeyError):
    """An area code that is not in areas.csv; the message is plain English."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------- loading

@lru_cache(maxsize=8)
def _read_areas(path: str, mtime: float) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in AREA_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path} has no column(s) {', '.join(missing)}")
    for column in ("valid_from", "valid_to"):
        df[column] = pd.to_datetime(df[column], format="%Y-%m-%d", errors="raise")
    return df


@lru_cache(maxsize=8)
def _read_neighbours(path: str, mtime: float) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    missing = [c for c in NEIGHBOUR_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path} has no column(s) {', '.join(missing)}")
    df["rank"] = df["rank"].astype(int)
    return df.sort_values(["dfe_code", "rank"], kind="stable").reset_index(drop=True)


def load_areas(path: Path | None = None) -> pd.DataFrame:
    """areas.csv: text columns as str (missing values NaN), valid_from / valid_to as dates (NaT if open)."""
    path = Path(path) if path is not None else AREAS_FILE
    return _read_areas(str(path), path.stat().st_mtime).copy()


def load_neighbours(path: Path | None = None) -> pd.DataFrame:
    """statistical_neighbours.csv: dfe_code, rank (int, 1 = closest), neighbour_dfe_code, closeness, source."""
    path = Path(path) if path is not None else NEIGHBOURS_FILE
    return _read_neighbours(str(path), path.stat().st_mtime).copy()


# ---------------------------------------------------------------- look-ups

def normalise_code(code: Any) -> str:
    """'805', 805, 805.0 and '805.0' -> '805'; ' e06000001 ' -> 'E06000001'."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = str(code).strip()
    if _DFE.match(text):
        return str(int(float(text)))
    return text.upper()


def _is_current(areas: pd.DataFrame) -> pd.Series:
    return areas["valid_to"].isna()


def _row(areas: pd.DataFrame, code: Any) -> pd.Series:
    text = normalise_code(code)
    if _ONS.match(text):
        hits = areas[areas["area_code"] == text]
    elif text.isdigit():
        hits = areas[areas["dfe_code"] == text]
        if len(hits) > 1:  # a DfE number reused by a successor: the current council, else the latest
            hits = hits.sort_values("valid_to", na_position="last").tail(1)
    else:
        hits = areas.iloc[0:0]
    if hits.empty:
        raise UnknownAreaError(
            f"Unknown area '{code}': give an ONS code (E and eight digits) or a DfE local authority "
            f"number (three digits); England is {ENGLAND}.")
    return hits.iloc[0][AREA_COLUMNS]


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def resolve_area(code: str, areas: pd.DataFrame | None = None) -> dict[str, Any]:
    """The areas.csv row for an ONS code or DfE number, as a dict (missing values None, dates as date).

    Raises UnknownAreaError (a KeyError) with a plain-English message if the code is unknown.
    """
    areas = load_areas() if areas is None else areas
    return {k: _plain(v) for k, v in _row(areas, code).items()}


def region_of(code: str, *, areas: pd.DataFrame | None = None) -> str:
    """The ONS region code (E12...) of an area; a region is its own region.

    London boroughs are in London (E12000007), not DfE's Inner/Outer London.
    Raises ValueError for England, which is in no region.
    """
    row = resolve_area(code, areas)
    if not row["region_code"]:
        raise ValueError(f"{row['name']} ({row['area_code']}) is not in a region")
    return row["region_code"]


def successors(code: str, *, areas: pd.DataFrame | None = None) -> list[str]:
    """The current councils that took over an abolished council, in the order listed.

    Follows a chain of changes to the councils that exist now. An area that still
    exists gives [].
    """
    areas = load_areas() if areas is None else areas
    result: list[str] = []
    seen: set[str] = set()
    todo = [resolve_area(code, areas)["area_code"]]
    first = True
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        row = resolve_area(current, areas)
        nxt = [c for c in (row["successor_code"] or "").split(";") if c]
        if nxt:
            todo.extend(nxt)
        elif not first:
            result.append(current)
        first = False
    return result


def current_councils(*, areas: pd.DataFrame | None = None) -> list[str]:
    """ONS codes of every council that exists now, in name order."""
    areas = load_areas() if areas is None else areas
    now = areas[(areas["area_type"] == COUNCIL) & _is_current(areas)]
    return now.sort_values(["name", "area_code"])["area_code"].tolist()


def statistical_neighbours(code: str, *, areas: pd.DataFrame | None = None,
                           neighbours: pd.DataFrame | None = None) -> list[str]:
    """The 10 statistical neighbours' ONS codes, closest first (DfE CSSN 2025).

    Raises UnknownAreaError if the code is unknown, ValueError if the area has no
    neighbours (England, a region, or a council abolished before 2025).
    """
    areas = load_areas() if areas is None else areas
    neighbours = load_neighbours() if neighbours is None else neighbours
    row = resolve_area(code, areas)
    mine = neighbours[neighbours["dfe_code"] == row["dfe_code"]].sort_values("rank")
    if row["area_type"] != COUNCIL or row["valid_to"] is not None or mine.empty:
        detail = ""
        if row["valid_to"] is not None:
            detail = (f"; it was abolished on {long_date(row['valid_to'])}, "
                      f"see its successors {successors(code, areas=areas)}")
        raise ValueError(f"{row['name']} ({row['area_code']}) has no statistical neighbours{detail}")
    current = areas[(areas["area_type"] == COUNCIL) & _is_current(areas)]
    ons_of = dict(zip(current["dfe_code"], current["area_code"], strict=False))
    unknown = [d for d in mine["neighbour_dfe_code"] if d not in ons_of]
    if unknown:
        raise ValueError(f"the statistical neighbours of {row['name']} include unknown DfE number(s) {unknown}")
    return [ons_of[d] for d in mine["neighbour_dfe_code"]]


def areas_by_role(home: str, *, areas: pd.DataFrame | None = None,
                  neighbours: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """The areas a home council is compared with, by role, as ONS codes.

    {'england': [E92000001], 'region': [its region], 'neighbours': [10, closest first],
     'all_councils': [every current council, the home one included, in name order]}
    """
    areas = load_areas() if areas is None else areas
    neighbours = load_neighbours() if neighbours is None else neighbours
    return {
        "england": [ENGLAND],
        "region": [region_of(home, areas=areas)],
        "neighbours": statistical_neighbours(home, areas=areas, neighbours=neighbours),
        "all_councils": current_councils(areas=areas),
    }


def region_name(code: str, *, areas: pd.DataFrame | None = None) -> str | None:
    """The name of an area's region (such as 'North East' for Hartlepool), or None for England or an
    unknown code: the partnership's region comes from the areas lookup, never from code."""
    try:
        row = resolve_area(code, areas)
    except UnknownAreaError:
        return None
    return row["region_name"] or None


def area_name(code: str, *, areas: pd.DataFrame | None = None) -> str:
    """The name of an area, for labels."""
    return resolve_area(code, areas)["name"]


def valid_on(code: str, when: date, *, areas: pd.DataFrame | None = None) -> bool:
    """Whether an area existed on a date (open-ended dates count as always)."""
    row = resolve_area(code, areas)
    when = pd.Timestamp(when).date()
    return ((row["valid_from"] is None or row["valid_from"] <= when)
            and (row["valid_to"] is None or when <= row["valid_to"]))
