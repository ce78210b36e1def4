"""The KPI framework: areas, outcomes and KPIs, loaded from a TOML data file.

The framework is data, not code. The loader is pure (no I/O beyond reading the
file) and reports every problem at once, the way a partnership editing the
file by hand needs it.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kpis.core.framework_governance import SelfAssessmentSpec, parse_framing, parse_self_assessment
from kpis.core.units import UNIT_LABELS

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
DEFAULT_FRAMEWORK = DATA_DIR / "frameworks" / "worcestershire.toml"

UNITS = UNIT_LABELS  # the unit codes a framework may use, with their labels (kpis.core.units)
POLARITIES = ("higher_is_better", "lower_is_better", "no_polarity")
FREQUENCIES = ("quarterly", "annual", "monthly")
SOURCES = ("fingertips", "dfe_ees", "lait")
DEFAULT_AREA_ICON = ":material/topic:"
MATERIAL_ICON = re.compile(r"^:material/[a-z0-9_]+:$")
KPI_ID = re.compile(r"^[A-Z]{1,4}[0-9]{2,3}$")
YEAR_TYPES = ("financial", "academic")  # [annual_report] year
DEFAULT_SUPPRESSION_THRESHOLD = 7       # a KPI's public counts from 1 to this are suppressed (kpis.access.disclosure)


class FrameworkError(ValueError):
    """Every problem found in a framework file, in plain English."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The KPI framework {self.path} has {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Comparator:
    source: str
    code: str
    name: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def indicator_id(self) -> str:
        """The id under which imported values of this source indicator are stored."""
        return f"{self.source}:{self.code}"


@dataclass(frozen=True)
class Target:
    value: float
    note: str = ""


@dataclass(frozen=True)
class Rebase:
    """A change of definition or of service on a date, after which a KPI's SPC limits restart (issue 21).

    ``source`` says where it was recorded: "framework" (declared in the framework file) or "admin" (recorded by an
    administrator in the app or on the command line, stored and audited; ``rebase_id`` is its stored id).
    """
    date: date
    reason: str
    source: str = "framework"
    rebase_id: int | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class Kpi:
    id: str
    area: str
    outcome: str
    title: str
    short_title: str
    definition: str
    unit: str
    decimals: int
    polarity: str
    frequency: str
    breakdowns: tuple[str, ...]
    methodology: str = ""
    owner: str = ""
    next_update: str = ""
    comparator: Comparator | None = None
    target: Target | None = None
    # A published national measure close to the KPI but not the same definition: the home area's standing on it
    # against England is stated, the KPI's own value is never compared with it.
    related: Comparator | None = None
    # Changes of definition or of service declared in the framework file: the SPC limits restart at each.
    rebases: tuple[Rebase, ...] = ()
    # Public counts from 1 to this are suppressed (`suppression_threshold` in the framework file).
    suppression_threshold: int = DEFAULT_SUPPRESSION_THRESHOLD

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit]

    @property
    def is_local_only(self) -> bool:
        return self.comparator is None

    def format_value(self, value: float | None) -> str:
        if value is None or value != value:  # NaN
            return "–"
        text = f"{value:,.{self.decimals}f}"
        return f"{text}%" if self.unit == "percentage" else text


@dataclass(frozen=True)
class OutcomeArea:
    id: str
    name: str
    sub_group: str
    short_name: str = ""
    icon: str = DEFAULT_AREA_ICON
    framing: str = ""            # "upstream", "downstream" or "both" (kpis.core.framework_governance)
    framing_note: str = ""       # the sentence saying why

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class Outcome:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Framework:
    path: str
    name: str
    short_name: str
    home_area: str
    home_area_dfe: str
    reports_to: str
    meetings: tuple[str, ...]
    breakdowns: dict[str, str]
    areas: tuple[OutcomeArea, ...]
    outcomes: tuple[Outcome, ...]
    kpis: tuple[Kpi, ...]
    # The groups each breakdown type takes, e.g. {"sex": ("Female", "Male")}; "district" holds ONS codes.
    breakdown_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    districts: dict[str, str] = field(default_factory=dict)    # ONS code -> name, the home area's districts
    demo: dict[str, Any] = field(default_factory=dict)         # [demo]: how the synthetic demo is made
    # Where people report an accessibility problem or ask for another format (an email address, a web page or a
    # phone number, as written); "" when the partnership has not set one. Shown on the accessibility statement.
    accessibility_contact: str = ""
    annual_report_year: str = "financial"  # [annual_report] year: "financial" (April-March) or "academic" (Sep-Aug)
    self_assessment: SelfAssessmentSpec = field(default_factory=SelfAssessmentSpec)   # statements rated each year
    # The partnership's email domain ([partnership] email_domain, e.g. "council.gov.uk"), for examples such as the
    # upload page's placeholder; "" when not set, and the example is then a neutral one.
    email_domain: str = ""

    @property
    def email_example(self) -> str:
        """An example email address for forms: name@ the framework's email_domain, else name@council.gov.uk."""
        return f"name@{self.email_domain or 'council.gov.uk'}"

    def group_name(self, btype: str, value: str) -> str:
        """A stored breakdown value as people say it: a district's ONS code becomes its name."""
        return self.districts.get(value, value) if btype == "district" else str(value)

    def kpi(self, kpi_id: str) -> Kpi:
        for k in self.kpis:
            if k.id == kpi_id:
                return k
        raise KeyError(f"There is no KPI '{kpi_id}' in the framework. Known ids: {', '.join(self.kpi_ids)}.")

    def area(self, area_id: str) -> OutcomeArea:
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(f"There is no outcome area '{area_id}'. Known areas: {', '.join(a.id for a in self.areas)}.")

    @property
    def kpi_ids(self) -> list[str]:
        return [k.id for k in self.kpis]

    def kpis_in_area(self, area_id: str) -> list[Kpi]:
        return [k for k in self.kpis if k.area == area_id]

    def kpis_in_outcome(self, outcome_id: str) -> list[Kpi]:
        return [k for k in self.kpis if k.outcome == outcome_id]


def framework_path(explicit: str | Path | None = None) -> Path:
    """--framework beats KPIS_FRAMEWORK beats the shipped default framework (DEFAULT_FRAMEWORK)."""
    chosen = explicit or os.environ.get("KPIS_FRAMEWORK") or DEFAULT_FRAMEWORK
    return Path(chosen)


def load_framework(path: str | Path | None = None) -> Framework:
    p = framework_path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(p, [f"the file {p} does not exist"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FrameworkError(p, [f"the file is not valid TOML: {exc}"]) from None
    return parse_framework(raw, path=p)


def parse_framework(raw: dict[str, Any], *, path: str | Path = "<memory>") -> Framework:
    """Check a parsed framework and build it; raise FrameworkError listing every problem."""
    problems: list[str] = []
    part = raw.get("partnership") or {}
    if not isinstance(part, dict):
        part = {}
    for key in ("name", "home_area"):
        if not part.get(key):
            problems.append(f"[partnership] needs '{key}'")
    if not isinstance(part.get("accessibility_contact", ""), str):
        problems.append("[partnership] accessibility_contact should be text: an email address, web page or phone "
                        "number")
    domain = part.get("email_domain", "")
    if not isinstance(domain, str) or (domain.strip() and not re.fullmatch(r"@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+",
                                                                           domain.strip())):
        problems.append(f"[partnership] email_domain {domain!r} should be a domain such as \"council.gov.uk\"")
    home = str(part.get("home_area", ""))
    if home and not re.fullmatch(r"E\d{8}", home):
        problems.append(f"[partnership] home_area '{home}' should be an ONS code: E followed by eight digits")

    breakdowns = raw.get("breakdowns") or {"all": "All children and young people"}
    if "all" not in breakdowns:
        problems.append("[breakdowns] must include 'all'")

    districts, breakdown_values = _parse_breakdown_values(raw, breakdowns, problems)
    areas = _parse_list(raw, "areas", ("id", "name", "sub_group"), problems)
    for a in areas:
        if "icon" in a and not MATERIAL_ICON.match(str(a["icon"])):
            problems.append(f"[[areas]] '{a['id']}': icon '{a['icon']}' should be a Material icon such as "
                            f"\":material/child_care:\"")
    framings = {a["id"]: parse_framing(a, problems) for a in areas}
    self_assessment = parse_self_assessment(raw.get("self_assessment"), problems)
    outcomes = _parse_list(raw, "outcomes", ("id", "name"), problems)
    area_ids = {a["id"] for a in areas}
    outcome_ids = {o["id"] for o in outcomes}

    kpis: list[Kpi] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("kpis") or [], start=1):
        kpi = _parse_kpi(item, i, area_ids, outcome_ids, set(breakdowns) | {"all"}, seen, problems)
        if kpi:
            kpis.append(kpi)
    if not raw.get("kpis"):
        problems.append("the framework has no [[kpis]]")
    for a in area_ids:
        if not any(item.get("area") == a for item in raw.get("kpis") or []):
            problems.append(f"outcome area '{a}' has no KPIs")
    demo = raw.get("demo") or {}
    if not isinstance(demo, dict):
        problems.append("[demo] should be a table")
        demo = {}
    _check_demo(demo, area_ids, {str(item.get("id")) for item in raw.get("kpis") or []}, problems)
    report = raw.get("annual_report") or {}
    if (year_type := str(report.get("year") or "financial") if isinstance(report, dict) else "?") not in YEAR_TYPES:
        problems.append(f"[annual_report] year should be \"financial\" or \"academic\", found {year_type!r}")
    if problems:
        raise FrameworkError(path, problems)
    return Framework(
        path=str(path),
        name=part["name"],
        short_name=part.get("short_name", part["name"]),
        home_area=home,
        home_area_dfe=str(part.get("home_area_dfe", "")),
        reports_to=part.get("reports_to", ""),
        meetings=tuple(sorted(str(m) for m in part.get("meetings", []))),
        breakdowns=dict(breakdowns),
        areas=tuple(OutcomeArea(id=a["id"], name=a["name"], sub_group=a["sub_group"],
                                short_name=a.get("short_name", ""), icon=a.get("icon", DEFAULT_AREA_ICON),
                                framing=framings[a["id"]][0], framing_note=framings[a["id"]][1]) for a in areas),
        outcomes=tuple(Outcome(id=o["id"], name=o["name"], description=o.get("description", ""))
                       for o in outcomes),
        kpis=tuple(kpis),
        breakdown_values=breakdown_values,
        districts=districts,
        demo=dict(demo),
        accessibility_contact=str(part.get("accessibility_contact") or "").strip(),
        email_domain=str(part.get("email_domain") or "").strip().lstrip("@").lower(),
        self_assessment=self_assessment,
        annual_report_year=year_type,
    )


def _check_demo(demo: dict, area_ids: set[str], kpi_ids: set[str], problems: list[str]) -> None:
    """[demo] names an outcome area and a KPI of this framework, and gives each profile three numbers."""
    if "missing_return" in demo and demo["missing_return"] not in area_ids:
        problems.append(f"[demo] missing_return '{demo['missing_return']}' is not an outcome area id")
    if "revised_kpi" in demo and demo["revised_kpi"] not in kpi_ids:
        problems.append(f"[demo] revised_kpi '{demo['revised_kpi']}' is not a KPI id")
    profiles = demo.get("profiles") or {}
    if not isinstance(profiles, dict):
        problems.append("[demo.profiles] should be a table of KPI id = [level, change per quarter, denominator]")
        return
    for kid, prof in profiles.items():
        if kid not in kpi_ids:
            problems.append(f"[demo.profiles] {kid} is not a KPI id")
        elif not (isinstance(prof, list) and len(prof) == 3 and all(isinstance(x, (int, float)) for x in prof)):
            problems.append(f"[demo.profiles] {kid} should be [level, change per quarter, denominator], "
                            f"found {prof!r}")


def _parse_breakdown_values(raw: dict, breakdowns: dict, problems: list[str]
                            ) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """[districts] (ONS code = name) and [breakdown_values] (type = [groups]); districts are the
    'district' breakdown's groups unless [breakdown_values] lists them itself."""
    districts = raw.get("districts") or {}
    if not isinstance(districts, dict):
        problems.append("[districts] should be a table of ONS code = \"name\"")
        districts = {}
    for code, name in districts.items():
        if not re.fullmatch(r"E\d{8}", str(code)) or not isinstance(name, str) or not name:
            problems.append(f"[districts] {code} = {name!r}: expected an ONS code (E and eight digits) = \"name\"")
    values = raw.get("breakdown_values") or {}
    if not isinstance(values, dict):
        problems.append("[breakdown_values] should be a table of breakdown = [\"group\", ...]")
        values = {}
    out: dict[str, tuple[str, ...]] = {}
    for btype, groups in values.items():
        if btype not in breakdowns:
            problems.append(f"[breakdown_values] '{btype}' is not listed in [breakdowns]")
        elif not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
            problems.append(f"[breakdown_values] {btype} should be a list of group names, found {groups!r}")
        elif len(set(groups)) != len(groups):
            problems.append(f"[breakdown_values] {btype} lists a group twice")
        else:
            out[btype] = tuple(groups)
    if "district" not in out and districts:
        out["district"] = tuple(str(c) for c in districts)
    return {str(c): str(n) for c, n in districts.items()}, out


def _parse_list(raw: dict, key: str, required: tuple[str, ...], problems: list[str]) -> list[dict]:
    items = raw.get(key) or []
    if not items:
        problems.append(f"the framework has no [[{key}]]")
    ids: set[str] = set()
    good = []
    for i, item in enumerate(items, start=1):
        missing = [r for r in required if not item.get(r)]
        if missing:
            problems.append(f"[[{key}]] number {i} is missing {', '.join(missing)}")
            continue
        if item["id"] in ids:
            problems.append(f"[[{key}]] id '{item['id']}' appears twice")
        ids.add(item["id"])
        good.append(item)
    return good


def _parse_kpi(item: dict, i: int, area_ids: set[str], outcome_ids: set[str],
               breakdown_ids: set[str], seen: set[str], problems: list[str]) -> Kpi | None:
    kid = str(item.get("id", ""))
    where = f"KPI {kid}" if kid else f"[[kpis]] number {i}"
    before = len(problems)
    if not KPI_ID.match(kid):
        problems.append(f"{where}: id '{kid}' should be letters then digits, such as SG02")
    elif kid in seen:
        problems.append(f"{where}: the id is used twice")
    seen.add(kid)
    for key in ("title", "definition"):
        if not item.get(key):
            problems.append(f"{where}: '{key}' is missing")
    _check_choice(item, "area", area_ids, where, problems)
    _check_choice(item, "outcome", outcome_ids, where, problems)
    _check_choice(item, "unit", UNITS, where, problems)
    _check_choice(item, "polarity", POLARITIES, where, problems)
    _check_choice(item, "frequency", FREQUENCIES, where, problems)
    decimals = item.get("decimals", 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 4:
        problems.append(f"{where}: decimals should be a whole number from 0 to 4, found {decimals!r}")
    bds = item.get("breakdowns", ["all"])
    unknown = [b for b in bds if b not in breakdown_ids]
    if unknown:
        problems.append(f"{where}: breakdown(s) {', '.join(unknown)} are not listed in [breakdowns]")
    if "all" not in bds:
        problems.append(f"{where}: breakdowns must include 'all'")
    comparator = _parse_comparator(item.get("comparator"), where, problems)
    related = _parse_comparator(item.get("related_comparator"), f"{where} (related_comparator)", problems)
    target = None
    if "target" in item:
        t = item["target"]
        if not isinstance(t, dict) or not isinstance(t.get("value"), (int, float)):
            problems.append(f"{where}: target should be {{ value = number, note = \"...\" }}")
        else:
            target = Target(value=float(t["value"]), note=t.get("note", ""))
    rebases = _parse_rebases(item.get("rebase"), where, problems)
    threshold = item.get("suppression_threshold", DEFAULT_SUPPRESSION_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        problems.append(f"{where}: suppression_threshold should be a whole number of 1 or more, found {threshold!r}")
    if len(problems) > before:
        return None
    return Kpi(
        id=kid, area=item["area"], outcome=item["outcome"], title=item["title"],
        short_title=item.get("short_title", item["title"]), definition=item["definition"],
        unit=item["unit"], decimals=decimals, polarity=item["polarity"], frequency=item["frequency"],
        breakdowns=tuple(bds), methodology=item.get("methodology", ""), owner=item.get("owner", ""),
        next_update=item.get("next_update", ""), comparator=comparator, target=target, related=related,
        rebases=rebases, suppression_threshold=threshold,
    )


def _parse_rebases(raw: Any, where: str, problems: list[str]) -> tuple[Rebase, ...]:
    """``rebase = [{date = "2025-04-01", reason = "..."}]``: each a date (YYYY-MM-DD) and a reason in words."""
    if raw is None:
        return ()
    shape = 'rebase = [{ date = "2025-04-01", reason = "what changed" }]'
    if not isinstance(raw, list):
        problems.append(f"{where}: rebase should be a list, such as {shape}")
        return ()
    out: list[Rebase] = []
    for n, r in enumerate(raw, start=1):
        if not isinstance(r, dict):
            problems.append(f"{where}: rebase number {n} should be {{ date = ..., reason = ... }}, found {r!r}")
            continue
        d = r.get("date")
        if isinstance(d, str):
            try:
                d = date.fromisoformat(d.strip())
            except ValueError:
                problems.append(f"{where}: rebase number {n} has the date '{d}'; expected YYYY-MM-DD, such as "
                                "2025-04-01")
                continue
        if not isinstance(d, date):
            problems.append(f"{where}: rebase number {n} needs a date (YYYY-MM-DD), such as {shape}")
            continue
        reason = r.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}: rebase number {n} ({d.isoformat()}) needs a reason: what changed on that "
                            "date")
            continue
        if any(x.date == d for x in out):
            problems.append(f"{where}: rebase date {d.isoformat()} is given twice")
            continue
        out.append(Rebase(date=d, reason=reason.strip(), source="framework"))
    return tuple(sorted(out, key=lambda x: x.date))


def _check_choice(item: dict, key: str, allowed, where: str, problems: list[str]) -> None:
    value = item.get(key)
    if value is None:
        problems.append(f"{where}: '{key}' is missing (one of {', '.join(sorted(allowed))})")
    elif value not in allowed:
        problems.append(f"{where}: {key} '{value}' is not one of {', '.join(sorted(allowed))}")


def _parse_comparator(c: Any, where: str, problems: list[str]) -> Comparator | None:
    if c is None:
        return None
    if not isinstance(c, dict) or not c.get("source") or not c.get("code"):
        problems.append(f"{where}: comparator needs a source and a code")
        return None
    if c["source"] not in SOURCES:
        problems.append(f"{where}: comparator source '{c['source']}' is not one of {', '.join(SOURCES)}")
        return None
    options = {k: v for k, v in c.items() if k not in ("source", "code", "name")}
    return Comparator(source=c["source"], code=str(c["code"]), name=c.get("name", ""), options=options)


def breakdown_label(framework: Framework, btype: str, value: str) -> str:
    """How people read a breakdown group: 'All children and young people', 'Age band: 0-4'."""
    if btype == "all":
        return framework.breakdowns.get("all", "All children and young people")
    type_name = framework.breakdowns.get(btype, btype.replace("_", " ").capitalize())
    values = framework.breakdown_values.get(btype, ())
    group = framework.group_name(btype, value)
    if (len(values) == 1 and values[0] == value) or same_words(type_name, group):
        return type_name        # "Young carers", never "Young carers: Young carer"
    return f"{type_name}: {group}"


def same_words(a: str, b: str) -> bool:
    """The same words but for case and a plural s ('Young carers', 'young carer'): a label that would repeat
    itself ('Young carers: Young carer') says it once."""
    def norm(t: str) -> str:
        return " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in str(t).lower().split())
    return norm(a) == norm(b)
