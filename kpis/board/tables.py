"""Board tables: the scorecard's rows turned into short, plain-English Markdown cells with badges.

Pure pandas; the pages pass the result to `st.table`. Text from the framework is
escaped so it is shown, never interpreted; sparklines are SVG made from numbers.
"""
from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

from kpis.core.framework import KPI_ID
from kpis.charts.figures import BADGE_COLOURS, sparkline_svg

BOARD_COLUMNS = ["KPI", "Latest", "Since last meeting", "Compared with England", "Trend line", "Recent trend",
                 "Target"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$&]|:(?=[A-Za-z]))")
_ORDINAL_DOT = re.compile(r"^(\d{1,9})\.(?=[ \t]|$)", re.MULTILINE)       # "1. " starts a numbered list
_BLOCK_DASH = re.compile(r"^(?=[-=]+[ \t]*$|-[ \t]|-$)", re.MULTILINE)  # "- " a list; "===", "---" a heading
# GitHub-flavoured Markdown turns bare addresses into links, even after backslash escapes: a word joiner
# (U+2060, invisible, zero width) between www and its dot, before :// and after @ stops it (seen in Chromium).
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=[a-z])(?=://)|(?<=@)")
WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """Escape Markdown so text shows as typed: no link, heading, list, rule, code block, HTML or maths.

    Besides the punctuation Markdown uses (and Streamlit's $ maths and :directives:), this escapes what starts
    a block at the start of a line (- = and "1."; "===" or "---" under a line would make it a heading),
    drops a line's indentation (four spaces make a code block), breaks bare addresses (https://..., www....,
    name@...) with an invisible word joiner so they stay text, and keeps the writer's line breaks.
    """
    out = _MD_SPECIAL.sub(r"\\\1", str(text))
    out = "\n".join(line.lstrip(" \t") for line in out.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    out = _BLOCK_DASH.sub(r"\\", out)
    out = _ORDINAL_DOT.sub(r"\1\\.", out)
    out = _AUTOLINK.sub(WORD_JOINER, out)
    return re.sub(r"(?<!\n)\n(?!\n)", "  \n", out)   # a single line break stays a line break


def md_email(email: str) -> str:
    """An account's email address (checked when the account was made) in Markdown: punctuation escaped, the address
    kept whole, with no invisible joiner, so it reads and copies as it is. Lead-written text goes through
    `md_escape`."""
    return _MD_SPECIAL.sub(r"\\\1", str(email))


def _latest(row) -> str:
    if row["latest_period"] is None or pd.isna(row["latest_period"]):
        return "No data yet"
    demo = " (demo)" if row["is_demo"] else ""
    return f"**{md_escape(row['value_text'])}**{demo}, {md_escape(row['latest_period'])}"


def _change(row, compact: bool = False) -> str:
    words = row.get("change_short") if compact else None
    return f"{row['change_symbol']} {md_escape(words or row['change_text'])}"


def _england(row, compact: bool = False) -> str:
    words = row["comparison_text"]
    if compact:  # the scorecard's one-line words; a card made without them keeps the sentence's first clause
        words = row["comparison_short"] if "comparison_short" in row else words.split(":")[0]
    text = f"{row['comparison_symbol']} {md_escape(words)}"
    if row["england_period"] is not None and not pd.isna(row["england_period"]):
        value = row["england_value_text"]
        who = "" if row["comparison"] != "not compared" else "England "
        text += f" ({who}{md_escape(value)} in {md_escape(row['england_period'])})"
    return text


def _sparkline(row) -> str:
    values = row["sparkline"] or []
    uri = sparkline_svg(values)
    if not uri:
        return "–"
    return f"![Sparkline of the last {len(values)} figures, oldest first]({uri})"


def _target(row, compact: bool = False) -> str:
    status = row["target_status"]
    if status in ("Met", "Not met"):
        mark = "✓" if status == "Met" else "✗"
        goal = row["target_text"].removeprefix("target ") if compact else row["target_text"]
        return f"{mark} {status} ({md_escape(goal)})"
    return "–" if row["target_text"] == "No target set" else md_escape(row["target_text"])


def kpi_cell(kpi_id: str, title: str, *, link: str | None = "kpi") -> str:
    """The KPI id in bold (a link to its detail page when `link` names that page's path) and its title."""
    ident = f"**{md_escape(kpi_id)}**"
    if link and KPI_ID.fullmatch(kpi_id):
        ident = f"[{ident}]({link}?kpi={kpi_id})"
    return f"{ident} {md_escape(title)}"


def board_table(card: pd.DataFrame, *, link: str | None = "kpi", compact: bool = False) -> pd.DataFrame:
    """The scorecard as the board reads it: short columns, one row per KPI.

    `compact`: each cell short enough for one line (the scorecard page): the change without the earlier value,
    the target without the word "target"; the full words stay on the KPI page.
    """
    if card.empty:
        return pd.DataFrame(columns=BOARD_COLUMNS)
    rows = [r for _, r in card.iterrows()]
    return pd.DataFrame({
        "KPI": [kpi_cell(k, t, link=link) for k, t in zip(card["kpi_id"], card["title"])],
        "Latest": [_latest(r) for r in rows],
        "Since last meeting": [_change(r, compact) for r in rows],
        "Compared with England": [_england(r, compact) for r in rows],
        "Trend line": [_sparkline(r) for r in rows],
        "Recent trend": [md_escape(w) for w in card["trend_words"]],
        "Target": [_target(r, compact) for r in rows],
    }, index=card.index)


SECTION_STYLE = "background-color: #F3F2F1; font-weight: 700; border-top: 2px solid #3D3D3D"


def style_board_table(table: pd.DataFrame, comparisons: pd.Series | list,
                      sections: list[bool] | None = None) -> Styler:
    """Colour the England cell by the comparison (the words and shapes already say it); shade section rows.

    The KPI column becomes the table's index, which Streamlit draws as `<th scope="row">`: a screen reader
    announces each cell with its KPI (WCAG 1.3.1). Show it with `st.table(..., hide_index=False)`."""
    comparisons = list(comparisons)
    sections = sections or [False] * len(table)
    table = table.set_index("KPI") if "KPI" in table.columns else table

    def colour(column: pd.Series) -> list[str]:
        out = []
        for result in comparisons:
            bg_fg = BADGE_COLOURS.get(result)
            out.append(f"background-color: {bg_fg[0]}; color: {bg_fg[1]}; font-weight: 600" if bg_fg else "")
        return out

    def section(row: pd.Series) -> list[str]:
        return [SECTION_STYLE if sections[table.index.get_loc(row.name)] else ""] * len(row)

    def heading(index: pd.Index) -> list[str]:
        return [SECTION_STYLE if is_section else "" for is_section in sections]

    return (table.style.apply(colour, subset=["Compared with England"]).apply(section, axis=1)
            .apply_index(heading, axis="index"))


def grouped_board_table(card: pd.DataFrame, by: str, *, link: str | None = "kpi", compact: bool = False
                        ) -> tuple[pd.DataFrame, list, list[bool]]:
    """One table for the whole scorecard, a shaded heading row before each group.

    Returns the table, each row's comparison (for the badge colour) and which rows are headings.
    `link` and `compact` as in `board_table` (link None: the KPI ids are not links).
    """
    parts, comparisons, sections = [], [], []
    for name, rows in group_rows(card, by):
        parts.append(pd.DataFrame([{**{c: "" for c in BOARD_COLUMNS}, "KPI": f"**{md_escape(name)}**"}]))
        comparisons.append(None)
        sections.append(True)
        parts.append(board_table(rows, link=link, compact=compact))
        comparisons += rows["comparison"].to_list()
        sections += [False] * len(rows)
    if not parts:
        return pd.DataFrame(columns=BOARD_COLUMNS), [], []
    return pd.concat(parts, ignore_index=True), comparisons, sections


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
SPARKLINE_EMS = 4.8  # the sparkline's width in ems of the table's text (its height is about 1.3 em)


def visible_text(cell: str) -> str:
    """What a Markdown cell shows, near enough to count its characters: no link targets, stars or escapes."""
    if cell.startswith("!["):
        return ""
    return _MD_LINK.sub(r"\1", cell).replace("**", "").replace("\\", "")


def one_line_ems(table: pd.DataFrame, *, char_em: float = 0.46, cell_padding_em: float = 1.0) -> float:
    """About how many ems wide the table is when no cell wraps: the widest cell of each column, in ems
    (`char_em`: the average character's width in Source Sans, measured in Chromium at 0.42-0.46), plus the
    cells' padding.
    The page sizes its text so that this fits the screen."""
    width = 0.0
    for column in table.columns:
        cells = [str(c) for c in table[column]] + [column]
        if any(c.startswith("![") for c in cells):
            width += SPARKLINE_EMS
        else:
            width += max(len(visible_text(c)) for c in cells) * char_em
        width += cell_padding_em
    return width


def group_rows(card: pd.DataFrame, by: str) -> list[tuple[str, pd.DataFrame]]:
    """Split the scorecard by 'area' or 'outcome', in framework order, keeping row order within."""
    name_col = {"area": "area_name", "outcome": "outcome_name"}[by]
    keys = list(dict.fromkeys(card[by]))
    if f"{by}_order" in card:
        rank = dict(zip(card[by], card[f"{by}_order"]))
        keys.sort(key=lambda k: rank[k])
    groups = []
    for key in keys:
        part = card[card[by] == key]
        groups.append((str(part[name_col].iloc[0]), part))
    return groups


def summary_counts(card: pd.DataFrame) -> dict[str, int]:
    """Headline counts for the top of the scorecard."""
    return {
        "better": int((card["comparison"] == "better").sum()),
        "similar": int((card["comparison"] == "similar").sum()),
        "worse": int((card["comparison"] == "worse").sum()),
        "improved": int((card["change_assessment"] == "better").sum()),
        "worsened": int((card["change_assessment"] == "worse").sum()),
        "targets_met": int((card["target_status"] == "Met").sum()),
        "targets": int(card["target_status"].isin(["Met", "Not met"]).sum()),
    }
