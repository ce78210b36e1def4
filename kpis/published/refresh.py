"""Live refresh (optional network): every comparator of the framework fetched from its publisher's API and
imported as one batch, through the same import path as a downloaded file (`kpis.published.importer.import_files`).

- **OHID Fingertips API**: ``GET {FINGERTIPS_API}/all_data/csv/by_indicator_id?indicator_ids=ID
  &child_area_type_id=T&parent_area_type_id=15`` answers with the site's "download data" CSV (the 27-column
  layout). It is asked twice per indicator under England (area type 15): for the counties and unitary
  authorities (area type 502, from April 2023) and for the regions (area type 6). A comparator may name its own
  ``child_area_type_ids`` (a list) in the framework.
- **DfE explore education statistics API**: ``GET {EES_API}/data-sets/{id}/csv`` answers with the data set as
  an open data CSV (``time_period, time_identifier, geographic_level, ...``). The framework names the data set
  with the comparator option ``api_data_set`` (its id, from the data set's page in the EES data catalogue);
  a comparator without one is listed as not fetched, with why.
- **DfE LAIT** publishes no API: its comparators are listed as not fetched; import LAIT's file instead.

Nothing here runs in ``make run`` or ``make test``. The fetcher is a parameter: tests hand in one that
reads recorded responses, or point the base addresses at a server on 127.0.0.1. The first failure to reach
a host stops everything at once: nothing is imported, and the message says the network could not be reached.
A publisher that answers with an error (404, 500) or with something that is not its CSV is listed, and the
other responses are imported.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlencode, urlparse

from kpis.core.framework import Framework
from kpis.published.apis import EES_API, FINGERTIPS_API, TIMEOUT_SECONDS
from kpis.published.common import BenchmarkError, ImportReport
from kpis.published.importer import detect_format, import_files
from kpis.store.database import Store

ENGLAND_AREA_TYPE = 15
# Fingertips area types: counties and unitary authorities from April 2023, and the regions.
FINGERTIPS_AREA_TYPES = {502: "councils", 6: "regions"}
USER_AGENT = "kpis-dashboard refresh (+https://github.com/)"
EXPECTED = {"fingertips": "fingertips", "dfe_ees": "dfe_ees"}

Fetcher = Callable[[str, float], bytes]


class RefreshError(RuntimeError):
    """A refresh that could not be done; the message says why in plain English. Nothing was changed."""


class NetworkUnreachable(RefreshError):
    """A publisher's host could not be reached at all (no network, no name resolution, refused, timed out)."""


class PublisherError(Exception):
    """The host answered, but not with the data asked for (HTTP error status)."""


@dataclass(frozen=True)
class Request:
    kpi_ids: tuple[str, ...]
    indicator_id: str
    source: str
    label: str
    url: str
    file_name: str


@dataclass(frozen=True)
class NotFetched:
    kpi_ids: tuple[str, ...]
    indicator_id: str
    reason: str


@dataclass
class RefreshResult:
    report: ImportReport | None
    fetched: list[tuple[Request, int]] = field(default_factory=list)   # each request and its size in bytes
    not_fetched: list[NotFetched] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "batch_id": self.report.batch_id if self.report else None,
            "fetched": [{"indicator_id": r.indicator_id, "kpis": list(r.kpi_ids), "what": r.label, "url": r.url,
                         "bytes": n} for r, n in self.fetched],
            "not_fetched": [{"indicator_id": s.indicator_id, "kpis": list(s.kpi_ids), "reason": s.reason}
                            for s in self.not_fetched],
            "import": self.report.to_dict() if self.report else None,
        }


def plan(framework: Framework, *, fingertips_api: str = FINGERTIPS_API,
         ees_api: str = EES_API) -> tuple[list[Request], list[NotFetched]]:
    """What a refresh of this framework asks for, and which comparators it cannot ask for (and why)."""
    by_indicator: dict[str, list] = {}
    for k in framework.kpis:
        if k.comparator:
            by_indicator.setdefault(k.comparator.indicator_id, []).append(k)
    requests, skipped = [], []
    for iid, kpis in by_indicator.items():
        c, ids = kpis[0].comparator, tuple(k.id for k in kpis)
        if c.source == "fingertips":
            types = c.options.get("child_area_type_ids") or list(FINGERTIPS_AREA_TYPES)
            for t in types:
                query = urlencode({"indicator_ids": c.code, "child_area_type_id": t,
                                   "parent_area_type_id": ENGLAND_AREA_TYPE})
                requests.append(Request(ids, iid, "fingertips",
                                        f"Fingertips {c.code} ({FINGERTIPS_AREA_TYPES.get(int(t), f'area type {t}')})",
                                        f"{fingertips_api.rstrip('/')}/all_data/csv/by_indicator_id?{query}",
                                        f"fingertips_{c.code}_{t}.csv"))
        elif c.source == "dfe_ees":
            data_set = c.options.get("api_data_set")
            if not data_set:
                skipped.append(NotFetched(ids, iid, "the framework names no explore education statistics API data "
                                                    "set for it (comparator option api_data_set)"))
                continue
            requests.append(Request(ids, iid, "dfe_ees", f"DfE data set {data_set}",
                                    f"{ees_api.rstrip('/')}/data-sets/{data_set}/csv", f"{c.code}.csv"))
        else:
            skipped.append(NotFetched(ids, iid, f"{c.source} publishes no API: import its file with "
                                                f"python -m kpis import-benchmarks FILE"))
    return requests, skipped


def urllib_fetch(url: str, timeout: float) -> bytes:
    """GET with the standard library; NetworkUnreachable when the host cannot be reached, PublisherError when it
    answers with an error."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/csv, */*"})
    host = urlparse(url).hostname or url
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise PublisherError(f"{host} answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise NetworkUnreachable(_unreachable(host, exc.reason)) from None
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise NetworkUnreachable(_unreachable(host, exc)) from None


def _unreachable(host: str, reason) -> str:
    why = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return (f"The network is unreachable: {host} could not be reached ({why}). Nothing was fetched and nothing "
            "was changed. Check the internet connection (or a proxy), or import a downloaded file instead: "
            "python -m kpis import-benchmarks FILE.")


class Progress:
    """A plain-text progress bar, one line per step, for a terminal or a log (stderr by default)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 20):
        self.total, self.stream, self.width, self.done = max(total, 1), stream or sys.stderr, width, 0

    def step(self, text: str) -> None:
        self.done += 1
        filled = round(self.width * self.done / self.total)
        print(f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {text}", file=self.stream,
              flush=True)

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def refresh(store: Store, framework: Framework, *, fetch: Fetcher = urllib_fetch, actor: str = "refresh",
            fingertips_api: str = FINGERTIPS_API, ees_api: str = EES_API, timeout: float = TIMEOUT_SECONDS,
            progress: TextIO | None = None) -> RefreshResult:
    """Fetch every comparator the framework names, then import what came back as one batch, all or nothing."""
    requests, not_fetched = plan(framework, fingertips_api=fingertips_api, ees_api=ees_api)
    result = RefreshResult(report=None, not_fetched=list(not_fetched))
    bar = Progress(len(requests) + 1, progress)
    if not requests:
        bar.say("Nothing to fetch: the framework names no comparator that a publisher's API serves.")
        return result
    work = Path(tempfile.mkdtemp(prefix="kpis-refresh-"))
    try:
        paths = []
        for r in requests:
            try:
                body = fetch(r.url, timeout)
            except PublisherError as exc:
                result.not_fetched.append(NotFetched(r.kpi_ids, r.indicator_id, f"{r.label}: {exc} ({r.url})"))
                bar.step(f"{r.label}: not fetched ({exc})")
                continue
            problem = _check(r, body, work)
            if problem:
                result.not_fetched.append(NotFetched(r.kpi_ids, r.indicator_id, f"{r.label}: {problem} ({r.url})"))
                bar.step(f"{r.label}: not imported ({problem})")
                continue
            path = work / r.file_name
            path.write_bytes(body)
            paths.append(path)
            result.fetched.append((r, len(body)))
            bar.step(f"{r.label}: {len(body) / 1024:,.0f} KB")
        if not paths:
            raise RefreshError("Nothing could be fetched, so nothing was changed: "
                               + "; ".join(s.reason for s in result.not_fetched))
        try:
            result.report = import_files(store, paths, framework=framework, actor=actor, keep_raw=True,
                                         source_name="Live refresh from the publishers' APIs",
                                         note="refresh: " + "; ".join(r.url for r, _ in result.fetched))
        except BenchmarkError as exc:
            raise RefreshError(f"The responses could not be imported, so nothing was changed: {exc}") from None
        bar.step(f"imported as batch {result.report.batch_id}: {result.report.rows_imported:,} rows, "
                 f"{result.report.new:,} new values, {result.report.changed:,} changed")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check(r: Request, body: bytes, work: Path) -> str | None:
    """Why a response cannot be imported (None when it can): empty, or not the publisher's CSV."""
    if not body.strip():
        return "the response was empty"
    probe = work / ("probe_" + r.file_name)
    probe.write_bytes(body[:64 * 1024])
    try:
        fmt = detect_format(probe)
    except BenchmarkError:
        fmt = None
    finally:
        probe.unlink(missing_ok=True)
    if fmt != EXPECTED[r.source]:
        start = body[:60].decode("utf-8", errors="replace").replace("\n", " ")
        return f"the response is not a {'Fingertips' if r.source == 'fingertips' else 'DfE open data'} CSV " \
               f"(it starts: {start!r})"
    if body.strip().count(b"\n") == 0:
        return "no rows (the header only)"
    return None
