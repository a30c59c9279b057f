"""Synthetic caseload workspaces for benchmarks: N clients, realistic and valid.

    python benchmarks/generate.py OUT --clients 1000 [--seed 1] [--json-dir DIR] [--force]
                                  [--style benchmark|mixed]

Every client is a file of its own: current clients under
``content/<clinician>/``, discharged ones under ``content/archive/<year>/``,
referrals not yet seen under ``content/intake/``. About 40 sessions each
(weekly or fortnightly), treatment plans, outreach contacts, 20 % discharged,
and the statuses and findings a real caseload shows on the benchmark date
(2026-11-28): mostly active clients, some at risk, inactive, with a discharge
planned or with records to complete. ``site_config/`` and ``mkdocs.yml`` are the
demo practice's, copied from this repository.

The output depends only on ``seed`` and the client's index: client 17 is the
same file in a 100-client and in a 10,000-client workspace. Every file is valid
against the caseload contract (``caseload check`` exits 0 or 1, never 2).

With ``json_dir``, the same data is also written as one JSON document per
caseload file (dates as ISO strings): exactly what ``yaml.load`` of the file
gives, serialised with ``json.dumps(default=str)``. The benchmark's
``json.loads`` baseline reads those.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 28)
REPO = Path(__file__).resolve().parent.parent
HEADER = "# Synthetic benchmark data (benchmarks/generate.py): every person here is invented.\n"

CLINICIANS = ("lee", "okafor", "marsh")  # the keys listed in the demo's practice.yaml
PAYERS = (
    ("cascade-medicaid", 30), ("summit-health", 25), ("northwind-ppo", 25),
    ("selfpay", 10), (None, 10),
)
FIRST = (
    "Maya", "Samuel", "Priya", "Jordan", "Elena", "Marcus", "Aisha", "Daniel", "Sofia",
    "Tomás", "Hannah", "Kwame", "Lucía", "Noah", "Mei", "Olivia", "Rafael", "Zoë", "Ibrahim",
    "Grace", "Mateo", "Chloé", "Dmitri", "Amara", "Liam", "Nadia", "Owen", "Ines", "Yusuf",
    "Freya", "Andrés", "Leila", "Caleb", "Hana", "Emeka", "Ruth", "Björn", "Talia", "Felix",
)
LAST = (
    "Castellanos", "Okoro", "Raman", "Avery", "Novak", "Bell", "Haddad", "Kim", "Moreau",
    "Nguyen", "Schultz", "Mensah", "Ortiz", "Fischer", "Lindqvist", "Patel", "Osei", "García",
    "O'Brien", "Kowalski", "Tanaka", "Abara", "Sørensen", "Whitlock", "Delgado", "Ferreira",
    "Brennan", "Ivanova", "Achebe", "Larsen", "Quinn", "Rahman", "Silva", "Yilmaz", "Duarte",
)
REFERRALS = (
    "Primary care (Eastside Family Clinic)", "School counselor", "Self-referred via website",
    "Employee assistance program", "Hospital discharge planner", "Former client referral",
    "Insurance directory",
)
GOALS = (
    "Bring PHQ-9 below 10", "Bring GAD-7 below 8", "Schedule two pleasant activities per week",
    "Keep a regular sleep/wake schedule", "Reconnect with one friend weekly",
    "Return to work part-time", "Use a grounding skill during panic episodes",
    "Reduce checking rituals to under 30 minutes a day", "Cut yelling episodes by half",
    "Attend one support group meeting weekly", "Practice assertive requests at work",
    "Walk 20 minutes on most days", "Identify and challenge two automatic thoughts a week",
    "Stay sober through the holidays with a relapse plan", "Resume driving on the highway",
)
PLAN_NOTES = (
    "Progress reviewed with client; goals continued", "Review completed; goals continued",
    "Plan reviewed; frequency unchanged", "Reviewed with client; one goal met, new goal added",
    "Goal met and replaced; plan updated with client",
)
SESSION_NOTES = (
    "Reviewed thought log; practiced cognitive restructuring",
    "Worked on sleep hygiene plan; client reports fewer awakenings",
    "Exposure exercise completed (step 4 of hierarchy)",
    "Discussed conflict with supervisor; role-played an assertive request",
    "Mood improved since last session; homework completed",
    "Client tearful; processed anniversary of loss",
    "Safety plan reviewed and updated with client",
    "Behavioural activation schedule set for the coming week",
    "Family session with partner present",
    "Grounding skills practiced; panic episodes down to one a week",
    "Medication change reported; coordinating with prescriber",
    "Telehealth session; client at home",
    "Client reports relapse over the weekend; reviewed triggers",
    "PHQ-9 repeated; score down 4 points",
)
CANCEL_NOTES = (
    "Client cancelled (illness)", "Clinician out; rescheduled", "Office closed (holiday)",
    "Client cancelled; rescheduled",
)
LATE_NOTES = ("Cancelled same morning (car trouble)", "Cancelled <24h: childcare fell through")
NO_SHOW_NOTES = ("No call; voicemail left", "No show; reminder text had been sent")
OUTCOMES = (
    "Left voicemail", "No answer", "Spoke with client; will call back to book",
    "Letter sent to address on file", "Portal message read, no reply", "Number disconnected",
)
SUMMARIES = {
    "goals_met": "Treatment goals met; relapse-prevention plan reviewed and given to the client.",
    "nonattendance": "Closed after repeated missed sessions and documented outreach attempts.",
    "client_request": "Client asked to end treatment; options for returning were explained.",
    "referred_out": "Referred to a specialist program; records sent with written consent.",
    "higher_level_of_care": "Transferred to intensive outpatient care; warm hand-off completed.",
    "other": "Client moved out of state; referral list provided.",
}
REASONS = (
    ("goals_met", 40), ("nonattendance", 25), ("client_request", 15), ("referred_out", 10),
    ("higher_level_of_care", 5), ("other", 5),
)
CPT_CODES = ("90834", "90837", "90847")


@dataclass(frozen=True)
class Kind:
    """What happens to a client: the share of the caseload it stands for."""

    name: str
    share: float


KINDS = (
    Kind("discharged", 0.20), Kind("planned", 0.04), Kind("pending", 0.01),
    Kind("lapsed", 0.10), Kind("struggling", 0.10), Kind("active", 0.55),
)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _kind(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for kind in KINDS:
        total += kind.share
        if roll < total:
            return kind.name
    return KINDS[-1].name


def _outcome(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.86:
        return "attended"
    if roll < 0.92:
        return "cancelled"
    return "late_cancel" if roll < 0.96 else "no_show"


def _session(rng: random.Random, day: date, status: str, billed: bool) -> dict[str, Any]:
    session: dict[str, Any] = {"date": day, "status": status}
    note = None
    if status == "attended" and rng.random() < 0.85:
        note = rng.choice(SESSION_NOTES)
        if rng.random() < 0.5:
            note = f"{note}. {rng.choice(SESSION_NOTES)}"
    elif status == "cancelled":
        note = rng.choice(CANCEL_NOTES)
    elif status == "late_cancel":
        note = rng.choice(LATE_NOTES)
    elif status == "no_show" and rng.random() < 0.7:
        note = rng.choice(NO_SHOW_NOTES)
    if note:
        session["note"] = note
    if billed and status == "attended":  # billing codes: procedure, place of service
        session["x_cpt"] = rng.choice(CPT_CODES)
        session["x_pos"] = "02" if rng.random() < 0.4 else "11"
    return session


def _plans(rng: random.Random, intake: date, end: date, overdue: bool) -> list[dict[str, Any]]:
    plans: list[dict[str, Any]] = []
    goals = rng.sample(GOALS, 4)
    per_plan = rng.choice((2, 3))
    day = intake + timedelta(days=rng.randint(3, 20))
    while day <= end:
        note = "Initial treatment plan" if not plans else rng.choice(PLAN_NOTES)
        shown = goals[:per_plan] if len(plans) < 3 else goals[1:1 + per_plan]
        plans.append({"date": day, "goals": list(shown), "note": note})
        day += timedelta(days=rng.randint(150, 260) if overdue else rng.randint(55, 88))
    return plans


def _contacts(rng: random.Random, after: date, until: date, count: int) -> list[dict[str, Any]]:
    span = max((until - after).days, 1)
    days = sorted(rng.sample(range(1, span + 1), min(count, span)))
    return [
        {"date": after + timedelta(days=d), "method": rng.choice(("phone", "text", "letter")),
         "outcome": rng.choice(OUTCOMES)}
        for d in days
    ]


def client_record(seed: int, index: int) -> tuple[str, dict[str, Any]]:
    """Client number `index` of the workspace: (file path under content/, its data)."""
    rng = random.Random(f"caseload-bench:{seed}:{index}")
    kind = _kind(rng)
    client_id = f"C-{index + 1:05d}"
    record: dict[str, Any] = {
        "id": client_id,
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
    }
    clinician = rng.choice(CLINICIANS)
    payer = _pick(rng, PAYERS)
    billed = payer not in (None, "selfpay")
    cadence = 7 if rng.random() < 0.65 else 14
    count = max(12, round(rng.gauss(40, 8)))
    sessions: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    discharge: dict[str, Any] | None = None

    if kind == "pending":
        intake = AS_OF + timedelta(days=rng.randint(1, 21))
        record["intake_date"] = intake
        if rng.random() < 0.5:
            record["payer"] = payer or "selfpay"
        record["x_referral_source"] = rng.choice(REFERRALS)
        record["sessions"] = [{"date": intake, "status": "scheduled",
                               "note": "Intake appointment"}]
        return f"intake/{client_id}.yaml", record

    if kind == "discharged":
        discharged_on = AS_OF - timedelta(days=rng.randint(1, 700))
        reason = _pick(rng, REASONS)
        last = discharged_on - timedelta(days=rng.randint(0, 21))
        if reason == "nonattendance":
            last = discharged_on - timedelta(days=rng.randint(30, 80))
        end = last
    elif kind == "lapsed":
        end = AS_OF - timedelta(days=rng.randint(61, 240))
    else:  # active, struggling, planned: seen recently, usually something booked
        end = AS_OF - timedelta(days=rng.randint(0, cadence - 1))
    upcoming = 0 if kind in ("discharged", "lapsed") else rng.choice((1, 1, 2))
    intake = end - timedelta(days=cadence * (count - upcoming - 1))
    record["intake_date"] = intake
    record["clinician"] = clinician
    if payer is not None:
        record["payer"] = payer
    if rng.random() < 0.5:
        record["x_referral_source"] = rng.choice(REFERRALS)

    for k in range(count):
        day = intake + timedelta(days=cadence * k)
        if day > AS_OF:
            sessions.append({"date": day, "status": "scheduled"})
            continue
        status = "attended" if k == 0 else _outcome(rng)
        sessions.append(_session(rng, day, status, billed))
    if kind == "struggling":
        for session in sessions[-upcoming - 3:len(sessions) - upcoming]:
            if session["date"] <= AS_OF and rng.random() < 0.75:
                replaced = _session(rng, session["date"], "no_show", billed)
                session.clear()
                session.update(replaced)
    if kind in ("active", "struggling") and rng.random() < 0.05:
        past = [s for s in sessions if s["date"] < AS_OF]
        if past:  # an outcome never recorded
            day = past[-1]["date"]
            past[-1].clear()
            past[-1].update({"date": day, "status": "scheduled"})

    if kind == "discharged":
        if reason == "nonattendance":
            gap = (discharged_on - last).days
            for extra in range(cadence, gap, cadence):
                sessions.append(_session(rng, last + timedelta(days=extra), "no_show", billed))
            contacts = _contacts(rng, last, discharged_on, rng.choice((1, 2, 3, 3)))
        discharge = {"date": discharged_on}
        if rng.random() < 0.97:
            discharge["reason"] = reason
        if rng.random() < 0.93 or (AS_OF - discharged_on).days > 60:
            discharge["summary"] = SUMMARIES[reason]
        discharge["client_participated"] = reason != "nonattendance"
        path = f"archive/{discharged_on.year}/{client_id}.yaml"
    else:
        if kind == "lapsed":
            contacts = _contacts(rng, end, AS_OF, rng.randint(1, 3))
        elif rng.random() < 0.15:
            contacts = _contacts(rng, end - timedelta(days=60), end, 1)
        if kind == "planned":
            discharge = {"planned_on": AS_OF + timedelta(days=rng.randint(-10, 40)),
                         "reason": "goals_met", "client_participated": True}
        path = f"{clinician}/{client_id}.yaml"

    plan_end = end if kind == "lapsed" else min(AS_OF, (discharge or {}).get("date", AS_OF))
    plans = _plans(rng, intake, plan_end, overdue=rng.random() < 0.08)
    if plans and rng.random() < 0.02:
        plans = []  # never written: PLAN-MISSING
    if discharge:
        record["discharge"] = discharge
    if plans:
        record["treatment_plans"] = plans
    if contacts:
        record["contacts"] = contacts
    record["sessions"] = sessions  # last, so that an edit can append one
    return path, record


# --- YAML text ------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z0-9(][A-Za-z0-9_ ()/;.'\-<>+éíóúñüöøäçãõëèáàêîôûÉÍÓÚØÖÜ]*")
_RESERVED = frozenset({
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
})


def _text(value: str) -> str:
    """A string as YAML: plain when that is unambiguous, else double-quoted."""
    if _PLAIN.fullmatch(value) and not value.endswith(" ") and value not in _RESERVED \
            and not re.fullmatch(r"[0-9.+\-eE]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _value(value: Any, quote_dates: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return f'"{value.isoformat()}"' if quote_dates else value.isoformat()
    if isinstance(value, str):
        return _text(value) if not value.isdigit() else f'"{value}"'
    raise TypeError(f"cannot write {value!r}")


def _flow(item: dict[str, Any], quote_dates: bool) -> str:
    return "{" + ", ".join(f"{k}: {_value(v, quote_dates)}" for k, v in item.items()) + "}"


def _block_item(item: dict[str, Any], quote_dates: bool, indent: str) -> Iterator[str]:
    first = True
    for key, value in item.items():
        lead = f"{indent}- " if first else f"{indent}  "
        first = False
        if isinstance(value, list):
            yield f"{lead}{key}:\n"
            yield from (f"{indent}    - {_value(v, quote_dates)}\n" for v in value)
        else:
            yield f"{lead}{key}: {_value(value, quote_dates)}\n"


def client_yaml(record: dict[str, Any], flow_sessions: bool, quote_dates: bool) -> str:
    """One client as a YAML file, written the way people write them (see the demo)."""
    lines = [HEADER]
    for key, value in record.items():
        if isinstance(value, dict):
            lines.append(f"{key}:\n")
            lines.extend(f"  {k}: {_value(v, quote_dates)}\n" for k, v in value.items())
        elif isinstance(value, list):
            lines.append(f"{key}:\n")
            for item in value:
                if (key == "sessions" and flow_sessions) or key == "contacts":
                    lines.append(f"  - {_flow(item, quote_dates)}\n")
                else:
                    lines.extend(_block_item(item, quote_dates, "  "))
        else:
            lines.append(f"{key}: {_value(value, quote_dates)}\n")
    return "".join(lines)


# --- the mixed style (issue #11) ----------------------------------------------------------
#
# The YAML that people and tools really write, each file a different mix: a leading
# `---` (yaml.dump(explicit_start=True), many editors' templates), Windows line ends,
# a UTF-8 byte order mark (Windows editors), comments, `''` for an empty note (what
# yaml.safe_dump writes), `~` for one not given, a discharge summary or plan note of
# several lines as a `|` block, and double-quoted text with escapes (a quote inside,
# an accent written \u00e9 as a tool that writes ASCII does).

STYLES = ("benchmark", "mixed")
QUOTES = ("Client said \"much better this week\"", "Reports \"good days\" outnumber bad",
          "Used the \"pause\" skill at work")
COMMENTS = ("# reviewed at the team meeting", "# see the paper chart for the intake form",
            "# moved from the old system")


def _mixed_record(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The same client with the values people write differently: empty and absent
    notes, quoted speech, summaries and plan notes of several lines."""
    record = dict(record)
    sessions = []
    for session in record["sessions"]:
        session = dict(session)
        roll = rng.random()
        if "note" in session and roll < 0.04:
            session["note"] = ""
        elif "note" not in session and roll < 0.10:
            session["note"] = None
        elif "note" in session and roll < 0.10:
            session["note"] = rng.choice(QUOTES)
        sessions.append(session)
    record["sessions"] = sessions
    if "treatment_plans" in record and rng.random() < 0.3:
        plans = [dict(plan) for plan in record["treatment_plans"]]
        plans[-1]["note"] = f"{plans[-1]['note']}.\nGoals reviewed with the client."
        record["treatment_plans"] = plans
    discharge = record.get("discharge")
    if discharge and discharge.get("summary") and rng.random() < 0.6:
        record["discharge"] = {**discharge, "summary": discharge["summary"]
                               + "\nRecords kept per practice policy.\n"}
    return record


def _mixed_value(value: Any, quote_dates: bool, rng: random.Random, indent: str) -> str:
    if value is None:
        return "~"
    if value == "":
        return "''"
    if isinstance(value, str) and "\n" in value:  # a block scalar, its lines below the key
        header = "|" if value.endswith("\n") else "|-"
        return header + "".join(f"\n{indent}  {line}" for line in value.rstrip("\n").split("\n"))
    if isinstance(value, str) and not value.isascii() and rng.random() < 0.5:
        return json.dumps(value, ensure_ascii=True)  # "Jos\u00e9", as an ASCII-only tool writes
    return _value(value, quote_dates)


def client_yaml_mixed(record: dict[str, Any], flow_sessions: bool, quote_dates: bool,
                      rng: random.Random) -> bytes:
    """One client in the mixed style (see above), as the bytes of its file."""
    lines = [HEADER]
    if rng.random() < 0.4:
        lines.append("---\n")

    def value(v: Any, indent: str) -> str:
        return _mixed_value(v, quote_dates, rng, indent)

    for key, field in record.items():
        if rng.random() < 0.1:
            lines.append(rng.choice(COMMENTS) + "\n")
        if isinstance(field, dict):
            lines.append(f"{key}:\n")
            lines.extend(f"  {k}: {value(v, '  ')}\n" for k, v in field.items())
        elif isinstance(field, list):
            lines.append(f"{key}:\n")
            for item in field:
                if (key == "sessions" and flow_sessions) or key == "contacts":
                    lines.append("  - {" + ", ".join(f"{k}: {value(v, '')}"
                                                     for k, v in item.items()) + "}\n")
                    continue
                for n, (k, v) in enumerate(item.items()):
                    lead = "  - " if n == 0 else "    "
                    if isinstance(v, list):
                        lines.append(f"{lead}{k}:\n")
                        lines.extend(f"      - {value(g, '      ')}\n" for g in v)
                    else:
                        lines.append(f"{lead}{k}: {value(v, '    ')}\n")
        elif key == "intake_date" and rng.random() < 0.3:
            lines.append(f"{key}: {value(field, '')}  # first session\n")
        else:
            lines.append(f"{key}: {value(field, '')}\n")
    text = "".join(lines)
    if rng.random() < 0.3:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if rng.random() < 0.15 else b"") + text.encode("utf-8")


# --- the workspace --------------------------------------------------------------------


def generate_workspace(root: Path, n_clients: int, seed: int = 1,
                       json_dir: Path | None = None, style: str = "benchmark") -> list[Path]:
    """Write a workspace of `n_clients` clients at `root` (which must not exist yet).

    Returns the caseload files written, in order. With `json_dir`, also writes
    each file's data as JSON there, under the same relative path plus ``.json``.
    `style` "mixed" writes each file in a different mix of what people and tools
    write (see `client_yaml_mixed`); the clients are the same but for those values.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (one of: {', '.join(STYLES)})")
    root = Path(root)
    root.mkdir(parents=True)
    shutil.copytree(REPO / "site_config", root / "site_config")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    written = []
    for index in range(n_clients):
        rel, record = client_record(seed, index)
        rng = random.Random(f"caseload-bench-style:{seed}:{index}")
        flow_sessions, quote_dates = rng.random() < 0.5, rng.random() < 0.05
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if style == "mixed":
            record = _mixed_record(record, rng)
            path.write_bytes(client_yaml_mixed(record, flow_sessions, quote_dates, rng))
        else:
            path.write_text(client_yaml(record, flow_sessions, quote_dates), encoding="utf-8")
        written.append(path)
        if json_dir is not None:
            target = Path(json_dir) / "content" / (rel + ".json")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(record, default=str, ensure_ascii=False),
                              encoding="utf-8")
    return written


def change_one_client(root: Path, seed: int = 1) -> Path:
    """An everyday edit for warm-build measurements: book one more session for a client.

    Appends a scheduled session to the first current client's file (sessions
    are always the last key). Each call books a later date, so repeated calls
    keep changing the file.
    """
    files = sorted((Path(root) / "content").glob(f"{CLINICIANS[0]}/*.yaml"))
    if not files:
        raise ValueError(f"no current client of '{CLINICIANS[0]}' in {root}")
    path = files[0]
    text = path.read_text(encoding="utf-8")
    booked = text.count("Booked by the benchmark")
    day = AS_OF + timedelta(days=35 + 7 * booked)
    note = f"Booked by the benchmark (edit {booked + 1})"
    if "  - {date:" in text:
        text += f"  - {{date: {day}, status: scheduled, note: {note}}}\n"
    else:
        text += f"  - date: {day}\n    status: scheduled\n    note: {note}\n"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the workspace folder to write (must not exist)")
    parser.add_argument("--clients", type=int, default=1000, help="number of clients")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json-dir", type=Path, help="also write the data as JSON here")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--style", choices=STYLES, default="benchmark",
                        help="how the YAML is written: the benchmark's own style, or a mix of "
                             "what people and tools write (---, CRLF, BOM, comments, '', ~, "
                             "block summaries, escapes)")
    args = parser.parse_args(argv)
    if args.out.exists():
        if not args.force:
            parser.error(f"{args.out} exists (use --force to replace it)")
        shutil.rmtree(args.out)
    if args.json_dir is not None and args.json_dir.exists():
        shutil.rmtree(args.json_dir)
    files = generate_workspace(args.out, args.clients, args.seed, args.json_dir, args.style)
    size = sum(f.stat().st_size for f in files)
    print(f"wrote {len(files)} client files ({size / 1e6:.1f} MB) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
