"""Time `caseload import` on SimplePractice-style exports of 10,000 and 100,000 rows.

    python benchmarks/import_bench.py                     # 10,000 and 100,000 rows
    python benchmarks/import_bench.py --rows 1000,10000 --repeat 3 --json out.json
    python benchmarks/import_bench.py --export /tmp/x.csv --rows 100000   # just write one

For each size an export is generated (`generate_export`: one row per appointment,
about 40 a client, through the calendar year 2026, with the columns and the mix
of statuses and note states of a real SimplePractice appointment export, billing
columns included) and every figure below is measured in a fresh child process,
as a user runs it, by the same wrapper as benchmarks/run.py (wall time of the
child; peak memory its maximum resident set):

* ``import``     ``python -m generator import simplepractice EXPORT --workspace WS``
  into a workspace with the demo practice's site_config and no clients: every
  client is new, so it writes one client file each and the year's ledger;
* ``re-import``  the same command again: nothing changes, nothing is written;
  the workspace it reads now holds the ledger and every client file;
* ``check``      a cold ``python -m generator check WS`` of the
  workspace the import produced (its own empty parse cache): the issue asks
  that an import cost no more than that (at most 1x);
* ``csv.reader`` the baseline: a child that decodes the same file and splits
  every row with the csv module, nothing else;

and, once, the ``floor``: the import of a one-row export (interpreter start-up,
imports, reading the workspace), which every import pays whatever its size.
The second table gives the time per 1,000 rows, raw and above the floor, and
its drift from the smallest to the largest size (the issue: flat within ±25 %),
and the peak memory (the issue: under 500 MB at 100,000 rows).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from run import PY, Sample, _env, environment_line, git_commit, measure  # noqa: E402

DEFAULT_ROWS = (10_000, 100_000)
ROWS_PER_CLIENT = 40
MIB = 1024 * 1024
TARGET_PEAK_MB = 500

FIRST = ["Maya", "Daniel", "Samuel", "Calvin", "Trevor", "Kofi", "Theo", "Aisha", "Gabriel",
         "Declan", "Lucia", "Delia", "Mei-Ling", "Eli", "Margot", "Rafael", "Priya",
         "Rosalind", "Paloma", "Benjamin", "Yusuf", "Hannah", "Felix", "Tamsin", "Victor",
         "Everett", "Connor", "Chloe", "Omar", "Harper", "Ruth", "Nadia", "Sofia", "Tobias",
         "Imogen", "Ingrid", "Arjun", "Wesley", "Beatriz", "Jonah", "Anouk", "Marcus",
         "Jalen", "Grace", "Samira", "Zara", "José", "Siobhan", "Noor", "Elliot"]
LAST = ["Castellanos", "Reyes", "Okoro", "Brooks", "Haines", "Mensah", "Brandt", "Bello",
        "Fontaine", "Murphy", "Ferreira", "Moreno", "Zhou", "Nakamura", "Ellison",
        "Dominguez", "Raman", "Achterberg", "Ruiz", "Osei", "Karimi", "Kowalczyk", "Duarte",
        "Greer", "Almeida", "Lindqvist", "McAllister", "Whitfield", "Haddad", "Quinn",
        "Adeyemi", "Petrova", "Marchetti", "Wren", "Blake", "Solberg", "Mehta", "Park",
        "Santos", "Feld", "de Vries", "Oyelaran", "Whitaker", "Abernathy", "Qureshi",
        "Whitlock", "Núñez", "O'Brien", "Haddad-Lindgren", "Tan", "Hartmann", "Lima"]
CLINICIANS = ["Dana Lee", "Chidi Okafor", "Rowan Marsh"]
HEADER = ("Date of Service,Client,Clinician,Status,Progress Note Status,Type,Billing Code,"
          "Rate per Unit,Units,Total Fee,Client Payment Status")
AS_OF = date(2026, 11, 28)


def client_name(number: int) -> str:
    first, last = FIRST[number % len(FIRST)], LAST[(number // len(FIRST)) % len(LAST)]
    generation = number // (len(FIRST) * len(LAST))
    return f"{first} {last}" + (f" {generation + 1}" if generation else "")


def generate_export(path: Path, rows: int, seed: int = 1) -> None:
    """An N-row SimplePractice appointment export for 2026 (about 40 rows a client)."""
    rng = random.Random(seed)
    clients = max(rows // ROWS_PER_CLIENT, 1)
    lines = [HEADER]
    start = date(2026, 1, 1)
    for number in range(rows):
        client = number % clients
        week = number // clients
        day = start + timedelta(days=(client * 3) % 7 + 7 * week * 52 // ROWS_PER_CLIENT)
        day = min(day, date(2026, 12, 31))
        when = f"{day:%m/%d/%Y} {9 + client % 8:02}:00 {'AM' if client % 8 < 3 else 'PM'}"
        if day > AS_OF:
            status, note = "Scheduled", ""
        else:
            status = rng.choices(["Show", "No Show", "Late Canceled", "Canceled",
                                  "Clinician Canceled"], [80, 7, 4, 7, 2])[0]
            note = (rng.choices(["Locked", "Draft", "Unlocked", ""], [88, 5, 2, 5])[0]
                    if status == "Show" else rng.choice(["", "No Note"]))
        name = client_name(client)
        if "," in name or '"' in name:
            name = '"' + name.replace('"', '""') + '"'
        fee = "150.00" if status in ("Show", "Scheduled") else "0.00"
        lines.append(f"{when},{name},{CLINICIANS[client % 3]},{status},{note},Appointment,"
                     f"90837,150.00,1,{fee},{'Paid' if status == 'Show' else ''}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_workspace(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "content").mkdir(parents=True)
    shutil.copytree(REPO / "site_config", root / "site_config")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


# --- children -----------------------------------------------------------------------------


def _child_csv(argv: Sequence[str]) -> int:
    """Baseline: decode and split every row of the export with the csv module."""
    import csv

    start = time.perf_counter()
    with open(argv[0], encoding="utf-8-sig", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle))
    print(json.dumps({"rows": rows, "inner": time.perf_counter() - start}))
    return 0


CHILDREN = {"_csv": _child_csv}


# --- the parent ---------------------------------------------------------------------------


def best_of(samples: list[Sample]) -> dict[str, Any]:
    fastest = min(samples, key=lambda s: s.wall)
    return {"wall": fastest.wall, "cpu": fastest.cpu, "others": fastest.others,
            "peak": max(s.peak for s in samples), "runs": [round(s.wall, 3) for s in samples]}


def run_size(rows: int, work: Path, seed: int, repeat: int) -> dict[str, Any]:
    export = work / f"export-{rows}.csv"
    generate_export(export, rows, seed)
    env = _env(work / f"cache-{rows}")
    command = [PY, "-m", "generator", "import", "simplepractice", str(export), "--workspace"]
    first: list[Sample] = []
    again: list[Sample] = []
    baseline: list[Sample] = []
    checks: list[Sample] = []
    for run in range(repeat):
        ws = make_workspace(work / f"ws-{rows}")
        first.append(measure([*command, str(ws)], env=env))
        again.append(measure([*command, str(ws)], env=env))
        # A cache folder of its own each time, so the check is cold.
        checks.append(measure([PY, "-m", "generator", "check", str(ws),
                               "--as-of", AS_OF.isoformat()],
                              env=_env(work / f"cache-check-{rows}-{run}"), ok=(0, 1)))
        baseline.append(measure([PY, str(Path(__file__).resolve()), "_csv", str(export)],
                                env=env, capture=True))
        ledger = ws / "content/imported/simplepractice-2026.yaml"
        ledger_bytes = ledger.stat().st_size
        clients = sum(1 for _ in (ws / "content/clients").iterdir())
    print(f"  {rows:,} rows done", file=sys.stderr)
    return {"rows": rows, "bytes": export.stat().st_size, "ledger_bytes": ledger_bytes,
            "clients": clients, "import": best_of(first), "re-import": best_of(again),
            "check": best_of(checks), "csv.reader": best_of(baseline)}


def table(results: list[dict[str, Any]], floor: dict[str, Any]) -> str:
    lines = ["| rows | measurement | wall s | cpu s | peak MiB | x csv.reader wall | others |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    lines.append(f"| 1 | floor (import of one row) | {floor['wall']:.2f} | {floor['cpu']:.2f} | "
                 f"{floor['peak'] / MIB:.0f} | - | {floor['others']:.0%} |")
    for result in results:
        base = result["csv.reader"]["wall"]
        for name in ("import", "re-import", "check", "csv.reader"):
            figure = result[name]
            ratio = "-" if name == "csv.reader" else f"{figure['wall'] / base:.1f}x"
            lines.append(f"| {result['rows']:,} | {name} | {figure['wall']:.2f} | "
                         f"{figure['cpu']:.2f} | {figure['peak'] / MIB:.0f} | {ratio} | "
                         f"{figure['others']:.0%} |")
    return "\n".join(lines)


def scaling_table(results: list[dict[str, Any]], floor: dict[str, Any]) -> str:
    """Time per 1,000 rows at the smallest and the largest size: wall time as measured,
    and wall and CPU time above the floor (what the rows themselves cost)."""
    small, large = results[0], results[-1]
    a, b = f"{small['rows']:,}", f"{large['rows']:,}"
    lines = [f"| measurement | wall ms/1,000 rows @ {a} | @ {b} | ÷ | wall above the floor "
             f"@ {a} | @ {b} | ÷ | CPU above the floor @ {a} | @ {b} | ÷ | peak MiB @ {b} |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def per(result: dict[str, Any], name: str, key: str, less: float) -> float:
        return 1e6 * max(result[name][key] - less, 0.0) / result["rows"]

    for name in ("import", "re-import", "csv.reader"):
        cells = []
        for key, less in (("wall", 0.0), ("wall", floor["wall"]), ("cpu", floor["cpu"])):
            if name == "csv.reader" and less:
                cells.append("- | - | -")
                continue
            x, y = per(small, name, key, less), per(large, name, key, less)
            cells.append(f"{x:.1f} | {y:.1f} | {y / x:.2f}x" if x else f"{x:.1f} | {y:.1f} | -")
        lines.append(f"| {name} | {' | '.join(cells)} | {large[name]['peak'] / MIB:.0f} |")
    return "\n".join(lines)


def bench_parser(doc: str, repeat: int) -> argparse.ArgumentParser:
    """The options every benchmark script here takes (seed, repeats, where, JSON)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=repeat,
                        help="runs per figure; the best counts")
    parser.add_argument("--work-dir", type=Path, help="where files go (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CHILDREN:
        return CHILDREN[argv[0]](argv[1:])
    parser = bench_parser(__doc__, repeat=1)
    parser.add_argument("--rows", help="comma-separated row counts (default 10000,100000)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--export", type=Path, help="only write an export of --rows rows here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.rows.split(",")] if args.rows else list(DEFAULT_ROWS)
    if args.export:
        generate_export(args.export, sizes[-1], args.seed)
        return 0
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="caseload-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    import os

    started_load, started_commit = os.getloadavg()[0], git_commit()
    started = time.perf_counter()
    try:
        floor_runs = []
        for _ in range(args.repeat):
            export = work / "export-1.csv"
            generate_export(export, 1, args.seed)
            ws = make_workspace(work / "ws-1")
            floor_runs.append(measure([PY, "-m", "generator", "import", "simplepractice",
                                       str(export), "--workspace", str(ws)],
                                      env=_env(work / "cache-1")))
        floor = best_of(floor_runs)
        results = [run_size(n, work, args.seed, args.repeat) for n in sizes]
    finally:
        if not args.keep and args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results, floor))
    print()
    print(scaling_table(results, floor))
    print()
    for result in results:
        print(f"- {result['rows']:,} rows: export {result['bytes'] / 1e6:.1f} MB, "
              f"{result['clients']:,} new clients, ledger {result['ledger_bytes'] / 1e6:.1f} MB")
    large = results[-1]
    met = "yes" if large["import"]["peak"] < TARGET_PEAK_MB * 1e6 else "no"
    print(f"- peak memory at {large['rows']:,} rows: import "
          f"{large['import']['peak'] / MIB:.0f} MiB, re-import "
          f"{large['re-import']['peak'] / MIB:.0f} MiB (target under {TARGET_PEAK_MB} MB: {met})")
    for result in results:
        ratio = result["import"]["wall"] / result["check"]["wall"]
        met = "yes" if ratio <= 1 else "no"
        print(f"- {result['rows']:,} rows: import / cold check of the workspace it made: "
              f"{ratio:.2f}x wall, {result['import']['cpu'] / result['check']['cpu']:.2f}x CPU "
              f"(target at most 1x: {met})")
    print(f"- {environment_line(started_load, started_commit)}; the whole run took "
          f"{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"floor": floor, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
