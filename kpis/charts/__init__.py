"""Plotly figures and their tables, in the colour-blind-safe palette."""
