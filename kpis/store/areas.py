"""The areas table and the statistical neighbours, as the board reads them."""
from __future__ import annotations

from kpis.store.database import Store


def region_code(store: Store, area_code: str) -> str | None:
    """The region an area is in, if known."""
    return store.scalar("SELECT region_code FROM areas WHERE area_code = ?", [area_code])


def neighbour_area_codes(store: Store, dfe_code: str) -> list[str]:
    """The area codes of a council's statistical neighbours (by its DfE code), closest first."""
    df = store.df("""
        SELECT a.area_code FROM statistical_neighbours s JOIN areas a ON a.dfe_code = s.neighbour_dfe_code
        WHERE s.dfe_code = ? AND a.area_code IS NOT NULL ORDER BY s.rank""", [dfe_code])
    return df["area_code"].to_list()


def area_names(store: Store) -> dict[str, str]:
    """area code -> name, for every area held."""
    return dict(store.df("SELECT area_code, name FROM areas").itertuples(index=False, name=None))
