"""Readers for published benchmark files (Fingertips, DfE open data, LAIT, tidy CSVs).

Each reader turns one file into a long frame of candidate observations, one
row per value, with a `_row` column naming the source row and a `skip`
column giving the reason when a value cannot be stored. `kpis.published.importer`
recognises the format, runs the reader, resolves areas and periods
(`candidates.finalise`) and writes everything in one transaction. The LAIT reader,
whose files are large, leaves the file in DuckDB and does those checks itself
(`lait.finish`), keyed by numbers for each distinct area and period. The SQL they run is the store's
(`kpis.store.reference`, `reference_checks`, `reference_lait`).
"""
