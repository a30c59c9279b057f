"""Time record review at 10,000 clients: what note tracking costs `check`, and a warm audit.

    python benchmarks/record_review.py                    # 10,000 clients, best of 3
    python benchmarks/record_review.py --clients 1000 --repeat 1 --json out.json

Issue #13 sets two goals, both measured here in one run:

1. Tracking notes must not make `check` more than 15 % slower, cold or warm. One
   set of client files (benchmarks/generate.py's clients, each attended session
   with a `note_signed` day (a few left unsigned, a few signed late, a few `true`)
   and each plan with its signatures) is checked under two policies:

   * ``off``: every `documentation` section removed from practice.yaml and the
     payer files, so nothing is tracked (the files still carry the v2 fields);
   * ``on``:  note tracking and plan signatures for every client (practice-wide
     `note_within_days: 3`, `notes_checked_from: 2026-01-01`,
     `plan_signatures_required: true`), the payers' own settings on top.

   Cold is a fresh copy with an empty cache folder; warm is the same command again.

2. A warm `caseload audit` of a 25-member request on the ``on`` workspace takes no
   longer than a warm `check` plus 1.1 times a bare MkDocs build of the packet's
   pages. The bare build is ``python -m mkdocs build`` of the packet's Markdown
   (rendered once, untimed, as `caseload audit` renders it) with the configuration
   caseload builds with (benchmarks/run.py's `mkdocs_config`). "Warm" is the
   audit run a second time with nothing changed (the parse cache and the packet's
   page identities both warm).

Every figure is one child process measured by benchmarks/run.py's wrapper (wall
time; CPU time; peak memory), the fastest of `--repeat` runs.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
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

from generate import AS_OF, client_record, client_yaml  # noqa: E402
from import_bench import bench_parser, best_of  # noqa: E402
from run import PY, _env, environment_line, git_commit, measure, mkdocs_config  # noqa: E402

MEMBERS = 25
NOTES_GOAL = 1.15  # tracking notes: at most 15 % slower
AUDIT_GOAL = 1.1  # a warm audit: at most a warm check plus 1.1x a bare MkDocs build
REQUEST = "audits/bench-request.yaml"
TRACKING = """\
documentation:
  note_within_days: 3
  notes_checked_from: 2026-01-01
  plan_signatures_required: true
"""


# --- the workspaces -------------------------------------------------------------------------


def sign(record: dict[str, Any], rng: random.Random) -> None:
    """Give a client's attended sessions their progress-note signatures and its plans
    their signatures, as a practice that keeps its records would have them."""
    for session in record.get("sessions", ()):
        if session["status"] != "attended" or session["date"] > AS_OF:
            continue
        roll = rng.random()
        if roll < 0.04:
            continue  # never signed
        if roll < 0.08:
            session["note_signed"] = True  # an export that says "signed" without a day
            continue
        late = roll < 0.12
        signed = session["date"] + timedelta(days=rng.randint(4, 20) if late else
                                             rng.randint(0, 3))
        session["note_signed"] = min(signed, AS_OF)
    for plan in record.get("treatment_plans", ()):
        if rng.random() < 0.9:
            plan["provider_signed_on"] = plan["date"]
            plan["client_signed_on"] = min(plan["date"] + timedelta(days=rng.randint(0, 10)),
                                           AS_OF)


def write_clients(root: Path, n: int, seed: int) -> list[str]:
    """The client files, signed; the ids of the current Summit Health clients."""
    summit = []
    for index in range(n):
        rel, record = client_record(seed, index)
        sign(record, random.Random(f"caseload-bench-sign:{seed}:{index}"))
        style = random.Random(f"caseload-bench-style:{seed}:{index}")
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(client_yaml(record, flow_sessions=style.random() < 0.5,
                                    quote_dates=style.random() < 0.05), encoding="utf-8")
        if record.get("payer") == "summit-health" and "discharge" not in record:
            summit.append(record["id"])
    return summit


_DOCUMENTATION = re.compile(r"^documentation:\n(?:[ #].*\n|\n)*", re.MULTILINE)


def without_documentation(text: str) -> str:
    return _DOCUMENTATION.sub("", text)


def make_workspaces(base: Path, n: int, seed: int) -> tuple[Path, Path, list[str]]:
    """The ``off`` and ``on`` workspaces (same clients, two policies) and the ids of
    the request's members."""
    off, on = base / "off", base / "on"
    for root in (off, on):
        shutil.copytree(REPO / "site_config", root / "site_config")
        shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
        for path in sorted((root / "site_config").rglob("*.yaml")):
            path.write_text(without_documentation(path.read_text(encoding="utf-8")),
                            encoding="utf-8")
    practice = on / "site_config/practice.yaml"
    practice.write_text(practice.read_text(encoding="utf-8") + TRACKING, encoding="utf-8")
    for payer in ("summit-health", "cascade-medicaid"):  # their own settings, as in the demo
        source = (REPO / f"site_config/payers/{payer}.yaml").read_text(encoding="utf-8")
        (on / f"site_config/payers/{payer}.yaml").write_text(source, encoding="utf-8")
    summit = write_clients(off, n, seed)
    shutil.copytree(off / "content", on / "content")
    members = random.Random(f"caseload-bench-members:{seed}").sample(summit, MEMBERS)
    (on / "audits").mkdir()
    (on / REQUEST).write_text(
        "payer: summit-health\nrequested_on: 2026-11-20\nbusiness_days: 10\n"
        "period: {from: 2026-05-01, to: 2026-10-31}\nmembers:\n"
        + "".join(f"  - {member}\n" for member in members), encoding="utf-8")
    return off, on, members


def fresh_copy(master: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(master, target, symlinks=True)
    return target


# --- children ---------------------------------------------------------------------------------


def _child_render_packet(argv: Sequence[str]) -> int:
    """Render the packet's Markdown once, as `caseload audit` does, and write an
    equivalent mkdocs.yml (untimed)."""
    import yaml
    from markupsafe import escape

    from generator.cli import load_audit
    from generator.report.audit import audit_report, payer_words
    from generator.site.build import nav_for, render_docs

    workspace, docs_dir, config_file = (Path(a) for a in argv[:3])
    report, audit = load_audit(workspace / REQUEST, workspace, date.fromisoformat(argv[3]))
    pages = render_docs(audit_report(audit, report), workspace, docs_dir, packet=audit)
    title = (f"{report.caseload.practice_name}: records for "
             f"{payer_words(audit, report.caseload)}'s request of {audit.request.requested_on}")
    config = mkdocs_config(workspace / "mkdocs.yml", docs_dir, site_name=str(escape(title)),
                           nav=nav_for(pages))
    config_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                           encoding="utf-8")
    print(json.dumps({"pages": len(pages)}))
    return 0


CHILDREN = {"_render_packet": _child_render_packet}


# --- the parent -------------------------------------------------------------------------------


def run(n: int, work: Path, seed: int, repeat: int) -> dict[str, Any]:
    from generator.site.build import source_date_epoch

    as_of = AS_OF.isoformat()
    off, on, _ = make_workspaces(work / "masters", n, seed)

    def check(ws: Path) -> list[str]:
        return [PY, "-m", "generator", "check", str(ws), "--as-of", as_of, "--format", "json"]

    figures: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for name, master in (("off", off), ("on", on)):
        cold, warm = [], []
        for attempt in range(repeat):
            ws = fresh_copy(master, work / f"check-{name}")
            env = _env(work / f"cache-{name}-{attempt}")
            cold.append(measure(check(ws), env=env, ok=(0, 1), capture=True))
            warm.append(measure(check(ws), env=env, ok=(0, 1), capture=True))
        figures[f"check cold, notes {name}"] = best_of(cold)
        figures[f"check warm, notes {name}"] = best_of(warm)
        outputs[name] = cold[-1].output
        print(f"  check, notes {name}: done", file=sys.stderr)

    audit_ws = fresh_copy(on, work / "audit")
    env = _env(work / "cache-audit")
    site = audit_ws / "packet-site"
    audit = [PY, "-m", "generator", "audit", str(audit_ws / REQUEST), str(audit_ws),
             "--as-of", as_of, "--site-dir", str(site)]
    measure(audit, env=env, ok=(0, 1))  # the cold run, untimed: caches and packet made
    figures["check warm (audit workspace)"] = best_of(
        [measure(check(audit_ws), env=env, ok=(0, 1)) for _ in range(repeat)])
    figures["audit warm, 25 members"] = best_of([measure(audit, env=env, ok=(0, 1))
                                              for _ in range(repeat)])
    docs, config, bare = work / "packet-docs", work / "packet-mkdocs.yml", work / "packet-bare"
    subprocess.run([PY, __file__, "_render_packet", str(audit_ws), str(docs), str(config), as_of],
                   check=True, env=_env(work / "cache-render"), stdout=subprocess.DEVNULL)
    epoch = source_date_epoch(AS_OF)
    bare_runs = []
    for _ in range(repeat):
        shutil.rmtree(bare, ignore_errors=True)
        bare_runs.append(measure([PY, "-m", "mkdocs", "build", "-q", "-f", str(config),
                                  "-d", str(bare)], env=_env(epoch=epoch)))
    figures["bare mkdocs build of the packet's pages"] = best_of(bare_runs)
    print("  audit: done", file=sys.stderr)
    findings = {name: _documentation_findings(output) for name, output in outputs.items()}
    return {"clients": n, "figures": figures, "findings": findings,
            "members": MEMBERS, "packet_pages": sum(1 for _ in docs.rglob("*.md"))}


def _documentation_findings(output: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for client in output.get("clients", ()):
        for finding in client.get("findings", ()):
            if finding["code"] in ("NOTE-MISSING", "NOTE-LATE", "PLAN-UNSIGNED"):
                counts[finding["code"]] = counts.get(finding["code"], 0) + 1
    return counts


def report(result: dict[str, Any]) -> str:
    f = result["figures"]
    lines = ["| measurement | wall s | cpu s | peak MiB | others |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, figure in f.items():
        lines.append(f"| {name} | {figure['wall']:.2f} | {figure['cpu']:.2f} | "
                     f"{figure['peak'] / 2**20:.0f} | {figure['others']:.0%} |")
    lines += ["", "| goal | measured | met? |", "| --- | --- | --- |"]
    for kind in ("cold", "warm"):
        on, off = f[f"check {kind}, notes on"], f[f"check {kind}, notes off"]
        ratio, cpu = on["wall"] / off["wall"], on["cpu"] / off["cpu"]
        lines.append(f"| {kind} `check` with notes tracked ≤ {NOTES_GOAL:.2f}x without | "
                     f"{ratio:.2f}x wall, {cpu:.2f}x CPU | "
                     f"{'yes' if min(ratio, cpu) <= NOTES_GOAL else 'no'} |")
    warm_check = f["check warm (audit workspace)"]["wall"]
    bare = f["bare mkdocs build of the packet's pages"]["wall"]
    limit = warm_check + AUDIT_GOAL * bare
    audit = f["audit warm, 25 members"]["wall"]
    lines.append(f"| warm audit of {result['members']} members ≤ warm check + "
                 f"{AUDIT_GOAL}x bare MkDocs build | {audit:.2f} s against {warm_check:.2f} + "
                 f"{AUDIT_GOAL} x {bare:.2f} = {limit:.2f} s ({audit / limit:.2f}x) | "
                 f"{'yes' if audit <= limit else 'no'} |")
    lines += ["", f"- {result['clients']:,} clients; documentation findings with notes on: "
              f"{json.dumps(result['findings']['on'], sort_keys=True)}; with notes off: "
              f"{json.dumps(result['findings']['off'], sort_keys=True)}; the packet: "
              f"{result['packet_pages']} Markdown pages"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CHILDREN:
        return CHILDREN[argv[0]](argv[1:])
    parser = bench_parser(__doc__, repeat=3)
    parser.add_argument("--clients", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.clients < 300:  # a 25-member request needs that many Summit Health clients
        parser.error("--clients must be at least 300")
    import os

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="caseload-record-review-"))
    work.mkdir(parents=True, exist_ok=True)
    started_load, started_commit, started = os.getloadavg()[0], git_commit(), time.perf_counter()
    try:
        result = run(args.clients, work, args.seed, args.repeat)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(report(result))
    print(f"- {environment_line(started_load, started_commit)}; the whole run took "
          f"{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
