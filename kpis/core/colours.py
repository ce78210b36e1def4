"""The colours: the Government Analysis Function's colour-blind safe palette, and the one colour of each
comparison with England, which the board's badges, the packs and the explorer's charts all use.

Colour is never the only signal: a shape and words go with each (`kpis.core.words`).
"""
from __future__ import annotations

DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE = (
    "#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
PALETTE = (DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE)   # categorical, in this order
AREA_COLOUR, ENGLAND_COLOUR = DARK_BLUE, ORANGE          # an area against England
REGION_COLOUR, NEIGHBOURS_COLOUR = TURQUOISE, DARK_PINK
LIGHT_GREY = "#BFBFBF"
WHITE, BLACK = "#FFFFFF", "#0B0C0C"

# Each comparison with England (`kpis.core.words.RESULTS`): its fill. Higher and lower share one colour, as they
# share one shape (○) on the scorecard: neither direction is better, so neither gets better's or worse's colour.
COMPARISON_COLOURS = {"better": DARK_BLUE, "worse": ORANGE, "similar": LIGHT_GREY,
                      "higher": LIGHT_PURPLE, "lower": LIGHT_PURPLE}
# Badges: background and text colour (contrast at least 4.5:1).
BADGE_COLOURS = {result: (fill, WHITE if fill == DARK_BLUE else BLACK) for result, fill in COMPARISON_COLOURS.items()}
