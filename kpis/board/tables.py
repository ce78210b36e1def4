"""Board tables: the scorecard's rows turned into short, plain-English Markdown cells with badges.

Pure pandas; the pages pass the result to `st.table`. Text from the framework is
escaped so it is shown, never interpreted; sparklines are SVG made from numbers.
"""
from __future__ import annotations

import re

import pandas as pd
from pandas.io.formats.style import Styler

from kpis.charts.figures import sparkline_svg
from kpis.charts.spc import POINTS as SPC_POINTS
from kpis.core.colours import BADGE_COLOURS
from kpis.core.kpi import KPI_ID
from kpis.published.relation import SUPPRESSED

BOARD_COLUMNS = ["KPI", "Latest", "Trend line", "Variation", "Assurance", "Compared with England",
                 "Since last meeting", "Target", "Recent trend"]
# The last columns: on a narrow projector they make way for larger text. A single quarter's movement is mostly
# noise; the Variation column says whether the series has changed, and the line above the table still counts
# the significant movements and the targets met.
OPTIONAL_COLUMNS = ["Since last meeting", "Target", "Recent trend"]
# On a desk screen too narrow for every column at 14 px, only the recent trend's words give way: the line beside
# them stays, and the Variation column says whether the series has changed.
DESK_OPTIONAL_COLUMNS = ["Recent trend"]
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
    """The shape and the relation's words (`kpis.published.relation`): compact, the one-line cell with England's
    figure; else the clause, with England's figure and period."""
    words = row["comparison_text"]
    if compact:  # the scorecard's one-line words; a card made without them keeps the sentence's first clause
        words = row["comparison_short"] if "comparison_short" in row else words.split(":")[0]
    text = f"{row['comparison_symbol']} {md_escape(words)}"
    if row["england_period"] is not None and not pd.isna(row["england_period"]):
        value = row["england_value_text"]
        tested = row["comparison"] != "not compared"
        if tested or not compact:  # compact, an untested cell states the difference from England instead
            who = "" if tested else "England "
            text += f" ({who}{md_escape(value)} in {md_escape(row['england_period'])})"
    return text


def _variation(row) -> str:
    """'▲ Improving', '◦ No signal (trial)', '– 3 of 7 points': the shape and a few words (`kpis.board.variation`)."""
    if "variation_short" not in row or not isinstance(row["variation_short"], str):
        return "–"
    return f"{row['variation_shape']} {md_escape(row['variation_short'])}"


def _assurance(row) -> str:
    """'✓ Passes', '? Hit and miss'; '–' where the KPI has no target. Trial limits are marked once, in the row's
    Variation cell: the assurance rests on the same limits."""
    if "assurance_short" not in row or row.get("target") is None or pd.isna(row.get("target")):
        return "–"
    return f"{row['assurance_shape']} {md_escape(row['assurance_short'].removesuffix(' (trial)'))}"


def has_targets(card: pd.DataFrame) -> bool:
    """Whether any KPI of the scorecard has a target: the Assurance column is shown only then."""
    return "target" in card and bool(card["target"].notna().any())


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
        if compact:  # '22.0% or less' -> '≤ 22.0%'
            for words, sign in ((" or less", "≤ "), (" or more", "≥ ")):
                if goal.endswith(words):
                    goal = sign + goal.removesuffix(words)
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
        "KPI": [kpi_cell(k, t, link=link) for k, t in zip(card["kpi_id"], card["title"], strict=False)],
        "Latest": [_latest(r) for r in rows],
        "Trend line": [_sparkline(r) for r in rows],
        "Variation": [_variation(r) for r in rows],
        "Assurance": [_assurance(r) for r in rows],
        "Compared with England": [_england(r, compact) for r in rows],
        "Since last meeting": [_change(r, compact) for r in rows],
        "Target": [_target(r, compact) for r in rows],
        "Recent trend": [md_escape(w) for w in card["trend_words"]],
    }, index=card.index)


SECTION_STYLE = "background-color: #F3F2F1; font-weight: 700; border-top: 2px solid #3D3D3D"
# The verdicts' cells in the SPC palette (NHSRplotthedots' colours, as on the KPI's SPC chart), with text that keeps
# 4.5:1 against them; common-cause variation and "too few points" stay unshaded. The shape and words carry the
# meaning; the colour only repeats it.
_SPC = {kind: colour for kind, (_, colour, _) in SPC_POINTS.items()}
VERDICT_COLOURS = {
    "improvement": (_SPC["special_cause_improvement"], "#0B0C0C"),
    "concern": (_SPC["special_cause_concern"], "#0B0C0C"),
    "neutral": (_SPC["special_cause_neutral_high"], "#FFFFFF"),
    "pass": (_SPC["special_cause_improvement"], "#0B0C0C"),
    "fail": (_SPC["special_cause_concern"], "#0B0C0C"),
}


def verdict_tone(icon: object) -> str | None:
    """'improvement_high' -> 'improvement', 'pass' -> 'pass', 'common_cause' or None -> None."""
    if not isinstance(icon, str) or icon in ("common_cause", "inconsistent"):
        return None
    return icon.split("_")[0]


def row_tones(card: pd.DataFrame) -> list[dict[str, str | None]]:
    """Per scorecard row, the colour key of each coloured column: England's tested result (the KPI's own or its
    related measure's), the variation and the assurance."""
    tones = []
    for r in card.to_dict("records"):
        target = r.get("target")
        has_target = target is not None and not pd.isna(target)
        tones.append({"Compared with England": r.get("comparison_tone") or r.get("comparison"),
                      "Variation": verdict_tone(r.get("variation_icon")),
                      "Assurance": verdict_tone(r.get("assurance_icon")) if has_target else None})
    return tones


def style_board_table(table: pd.DataFrame, comparisons: pd.Series | list,
                      sections: list[bool] | None = None) -> Styler:
    """Colour the England cell by the comparison and the verdicts by the SPC palette (the words and shapes
    already say it); shade section rows. `comparisons`: per row, a comparison result (the England cell only) or
    a dict of column -> colour key (`row_tones`).

    The KPI column becomes the table's index, which Streamlit draws as `<th scope="row">`: a screen reader
    announces each cell with its KPI (WCAG 1.3.1). Show it with `st.table(..., hide_index=False)`."""
    tones = [t if isinstance(t, dict) else {"Compared with England": t} for t in list(comparisons)]
    sections = sections or [False] * len(table)
    table = table.set_index("KPI") if "KPI" in table.columns else table

    def colour(column: pd.Series) -> list[str]:
        palette = BADGE_COLOURS if column.name == "Compared with England" else VERDICT_COLOURS
        out = []
        for tone in tones:
            bg_fg = palette.get(tone.get(column.name))
            out.append(f"background-color: {bg_fg[0]}; color: {bg_fg[1]}; font-weight: 600" if bg_fg else "")
        return out

    def section(row: pd.Series) -> list[str]:
        return [SECTION_STYLE if sections[table.index.get_loc(row.name)] else ""] * len(row)

    def heading(index: pd.Index) -> list[str]:
        return [SECTION_STYLE if is_section else "" for is_section in sections]

    coloured = [c for c in ("Compared with England", "Variation", "Assurance") if c in table.columns]
    return (table.style.apply(colour, subset=coloured).apply(section, axis=1)
            .apply_index(heading, axis="index"))


def grouped_board_table(card: pd.DataFrame, by: str, *, link: str | None = "kpi", compact: bool = False
                        ) -> tuple[pd.DataFrame, list, list[bool]]:
    """One table for the whole scorecard, a shaded heading row before each group.

    Returns the table, each row's comparison (for the badge colour) and which rows are headings.
    `link` and `compact` as in `board_table` (link None: the KPI ids are not links).
    """
    parts, comparisons, sections = [], [], []
    for name, rows in group_rows(card, by):
        parts.append(pd.DataFrame([{**{c: "" for c in BOARD_COLUMNS}, "KPI": f"**{md_escape(name)}**",
                                    **area_cells(rows)}]))
        comparisons.append({})
        sections.append(True)
        parts.append(board_table(rows, link=link, compact=compact))
        comparisons += row_tones(rows)
        sections += [False] * len(rows)
    if not parts:
        return pd.DataFrame(columns=BOARD_COLUMNS), [], []
    table = pd.concat(parts, ignore_index=True)
    if not has_targets(card):
        table = table.drop(columns=["Assurance"])
    return table, comparisons, sections


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
        rank = dict(zip(card[by], card[f"{by}_order"], strict=False))
        keys.sort(key=lambda k: rank[k])
    groups = []
    for key in keys:
        part = card[card[by] == key]
        groups.append((str(part[name_col].iloc[0]), part))
    return groups


def summary_counts(card: pd.DataFrame) -> dict[str, int]:
    """Headline counts for the top of the scorecard: England, change, targets, and the SPC verdicts."""
    icons = card["variation_icon"] if "variation_icon" in card else pd.Series([None] * len(card), dtype=object)
    assured = (card["assurance_icon"] if "assurance_icon" in card and "target" in card
               else pd.Series([None] * len(card), dtype=object))
    if "target" in card:
        assured = assured.where(card["target"].notna())
    tones = icons.map(verdict_tone)
    return {
        "improving": int((tones == "improvement").sum()), "concern": int((tones == "concern").sum()),
        "neutral_signal": int((tones == "neutral").sum()), "common_cause": int((icons == "common_cause").sum()),
        "no_verdict": int(icons.isna().sum()),
        "assurance_pass": int((assured == "pass").sum()), "assurance_fail": int((assured == "fail").sum()),
        "hit_and_miss": int((assured == "inconsistent").sum()),
        "with_target": int(card["target"].notna().sum()) if "target" in card else 0,
        "better": int((card["comparison"] == "better").sum()),
        "similar": int((card["comparison"] == "similar").sum()),
        "worse": int((card["comparison"] == "worse").sum()),
        "improved": int((card["change_assessment"] == "better").sum()),
        "worsened": int((card["change_assessment"] == "worse").sum()),
        "targets_met": int((card["target_status"] == "Met").sum()),
        "targets": int(card["target_status"].isin(["Met", "Not met"]).sum()),
    }


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def area_summary(card: pd.DataFrame, name: str | None = None) -> str:
    """One line in words for an outcome area (or any rows of the scorecard): how many KPIs show improvement or
    concern by the SPC rules, and how many targets are hit and miss or fail ('Early help, 5 KPIs: 1 shows
    improvement, 2 concern (2 no signal). Of 2 targets, 1 is hit and miss and 1 fails.')."""
    n = summary_counts(card)
    head = (f"{name}, " if name else "") + _count(len(card), "KPI")
    if n["improving"] or n["concern"]:
        signals = (f"{n['improving']} {'shows' if n['improving'] == 1 else 'show'} improvement, "
                   f"{n['concern']} concern")
    else:
        signals = "none shows improvement or concern"
    if n["neutral_signal"]:
        signals += f", {n['neutral_signal']} a signal with no better direction"
    rest = [f"{n['common_cause']} no signal"] * bool(n["common_cause"]) + [
        f"{n['no_verdict']} too few points for a verdict"] * bool(n["no_verdict"])
    text = f"{head}: {signals}" + (f" ({'; '.join(rest)})." if rest else ".")
    if not n["with_target"]:
        return text + " No targets set."
    hit, fail = n["hit_and_miss"], n["assurance_fail"]
    text += (f" Of {_count(n['with_target'], 'target')}, {hit or 'none'} {'is' if hit <= 1 else 'are'} hit and miss "
             f"and {fail or 'none'} {'fails' if fail <= 1 else 'fail'}")
    if n["assurance_pass"]:
        text += f"; {n['assurance_pass']} {'passes' if n['assurance_pass'] == 1 else 'pass'}"
    return text + "."


def area_cells(card: pd.DataFrame) -> dict[str, str]:
    """The section row's Variation and Assurance cells: the area's counts in a few words ('1 improving, 2
    concern'; '1 hit and miss, 1 failing'); the sentence is `area_summary`."""
    n = summary_counts(card)
    signals = [f"{n['improving']} improving"] * bool(n["improving"]) + [f"{n['concern']} concern"] * bool(
        n["concern"])
    cells = {"Variation": ", ".join(signals) or "No signal"}
    if n["with_target"]:
        misses = [f"{n['hit_and_miss']} hit and miss"] * bool(n["hit_and_miss"]) + [
            f"{n['assurance_fail']} failing"] * bool(n["assurance_fail"])
        cells["Assurance"] = ", ".join(misses) or "None failing"
    return cells


def public_verdicts(card: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """The board's verdicts for the public view's rows (`shown`: kpi_id, period_label, value_text), as Markdown
    cells: Variation, Assurance (where any KPI shown has a target) and Compared with England, from the same
    scorecard rows as the board's. A verdict is given only where the scorecard's latest period is the one the
    public sees (never from figures still being checked), and England's words only where the public figure is
    shown, not suppressed (they state the difference from England, from which it could be worked out). Where
    nothing is compared, '–': the public table's England column already gives the reason."""
    rows = {r["kpi_id"]: r for r in card.to_dict("records")}
    out = {"Variation": [], "Assurance": [], "Compared with England": []}
    for kpi_id, period, value_text in zip(shown["kpi_id"], shown["period_label"], shown["value_text"], strict=False):
        r = rows.get(kpi_id)
        same = r is not None and r["latest_period"] == period
        out["Variation"].append(_variation(r) if same else "– Awaits the published figure")
        out["Assurance"].append(_assurance(r) if same else "–")
        if not same:
            out["Compared with England"].append("– Awaits the published figure")
        elif str(value_text).startswith("Suppressed"):
            out["Compared with England"].append(f"– {SUPPRESSED}")
        elif r["relation_basis"] is None or pd.isna(r["relation_basis"]):  # the England column gives the reason
            out["Compared with England"].append("–")
        else:
            out["Compared with England"].append(_england(r, compact=True))
    table = pd.DataFrame(out, index=shown.index)
    targets = card.loc[card["kpi_id"].isin(list(shown["kpi_id"])), "target"] if "target" in card else []
    return table if len(targets) and pd.Series(targets).notna().any() else table.drop(columns=["Assurance"])


def area_line(card: pd.DataFrame, name: str) -> str:
    """`area_summary` in fewer words, for a line above the scorecard that holds every area: 'Early help: 2 of 7
    improving, 0 concern; targets: 1 hit and miss, 0 failing'."""
    n = summary_counts(card)
    text = f"{name}: {n['improving']} of {len(card)} improving, {n['concern']} concern"
    if n["with_target"]:
        text += f"; targets: {n['hit_and_miss']} hit and miss, {n['assurance_fail']} failing"
    return text
