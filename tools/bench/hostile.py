("""Peak memory and time of each hostile return, through the validate path and the upload path.

    .venv/bin/python tools/bench/hostile.py            # prints a table; takes a minute or two

Each file runs in its own child process (so one file's peak is not another's): validate is
`check_return` (read, every rule, no store); upload is that plus the marked copy the upload page offers
(`annotate.marked_copy`). The child reports its peak resident memory (VmHWM: its own, where ru_maxrss
would carry the parent's over from the fork) and the seconds taken. The imports alone take about 190 MB;
"baseline" is a child that reads nothing. The files are the reading budget's corpus (tests/fixtures/returns/budget, """
 """the two big ones and the round-3 shapes of issue 26 made by tools/make_budget_files.py), the older
hostile corpus (tests/fixtures/returns) and a real filled-in template for comparison.

    .venv/bin/python tools/bench/hostile.py --only long_ shared_formula   # only the files whose names hold these
""")
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
RETURNS = ROOT / "tests" / "fixtures" / "returns"
MAKE_BUDGET = ROOT / "tools" / "make_budget_files.py"
CAP = 3 << 30           # 3 GiB of address space per child, so a regression fails instead of swapping
TODAY = date(2025, 11, 20)
TIMEOUT = 300           # seconds per child: a regression is reported, not waited for


def child(mode: str, path: str) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
    from kpis.core.problems import total
    from kpis.returns.annotate import marked_copy
    from kpis.returns.filesafety import UnreadableFile
    from kpis.returns.submission import check_return
    fw = load_framework(DEFAULT_FRAMEWORK)
    start = time.perf_counter()
    out: dict = {}
    if mode != "baseline":
        file = Path(path)
        data = file.read_bytes()
        try:
            checked = check_return(None, fw, name=file.name, data=data, area_id="safeguarding", today=TODAY)
            out = {"outcome": f"{len(checked.parsed.rows):,} rows, {total(checked.problems):,} problems "
                              f"({len(checked.problems):,} listed)"}
            if mode == "upload" and checked.problems:
                copy, _why_not = marked_copy(data, checked.problems, name=file.name)
                out["outcome"] += f"; marked copy {len(copy) // 1024:,} KB" if copy else "; no marked copy"
        except UnreadableFile as exc:
            out = {"outcome": "refused: " + str(exc)[len(file.name) + 3:][:60] + "…"}
        except MemoryError:
            out = {"outcome": "OUT OF MEMORY (MemoryError)"}
    out["seconds"] = time.perf_counter() - start
    # VmHWM: this process's own peak resident memory (ru_maxrss would carry the parent's over from the fork)
    out["maxrss_mb"] = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
    return out


def measure(mode: str, path: Path | None) -> dict:
    try:
        done = subprocess.run([sys.executable, __file__, "--child", mode, str(path or "")], capture_output=True,
                              text=True, check=False, cwd=ROOT, timeout=TIMEOUT,
                              env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"})
    except subprocess.TimeoutExpired:
        return {"outcome": f"TIMEOUT after {TIMEOUT} s", "seconds": TIMEOUT, "maxrss_mb": 0}
    if done.returncode != 0:
        return {"outcome": "FAILED: " + (done.stderr.strip().splitlines() or ["?"])[-1][:70], "seconds": 0,
                "maxrss_mb": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def files(tmp: Path) -> list[Path]:
    from kpis.core.framework import DEFAULT_FRAMEWORK, load_framework
    from tools.make_budget_files import BIG, ROUND3, SMALL
    from tools.sample_returns import filled_template
    good = tmp / "good_template.xlsx"
    good.write_bytes(filled_template(load_framework(DEFAULT_FRAMEWORK), "safeguarding", "2025/26 Q2"))
    subprocess.run([sys.executable, str(MAKE_BUDGET), "--big", str(tmp)], check=True)
    subprocess.run([sys.executable, str(MAKE_BUDGET), "--round3", str(tmp)], check=True)
    budget = [RETURNS / "budget" / name for name in SMALL] + [tmp / name for name in (*BIG, *ROUND3)]
    older = sorted(p for p in RETURNS.iterdir() if p.is_file() and p.suffix in (".xlsx", ".xls", ".csv"))
    return [good, *budget, *older]


def main(only: list[str]) -> None:
    base = measure("baseline", None)
    print(f"baseline (imports only): {base['maxrss_mb']:.0f} MB peak RSS\n")
    print(f"{'file':26} {'KB':>7} | {'validate MB':>11} {'s':>6} | {'upload MB':>9} {'s':>6} | outcome (upload)")
    with tempfile.TemporaryDirectory() as tmp:
        for path in files(Path(tmp)):
            if only and not any(word in path.name for word in only):
                continue
            v, u = measure("validate", path), measure("upload", path)
            print(f"{path.name:26} {path.stat().st_size / 1024:>7,.0f} | {v['maxrss_mb']:>11.0f} {v['seconds']:>6.2f} "
                  f"| {u['maxrss_mb']:>9.0f} {u['seconds']:>6.2f} | {u['outcome']}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        main(sys.argv[2:] if sys.argv[1:2] == ["--only"] else [])
