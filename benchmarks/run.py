"""Time `caseload check` and `caseload build` against their baselines, at 100 to 10,000 clients.

    python benchmarks/run.py                  # 100 and 1,000 clients
    python benchmarks/run.py --large          # and 10,000
    python benchmarks/run.py --sizes 300 --repeat 3 --json results.json
    python benchmarks/run.py --large --browser  # and open each built site in Chromium
    python benchmarks/run.py --sizes 1000,10000 --styles mixed --no-build   # check only

For each size and each style of YAML (``benchmark``: the generator's own style;
``mixed``: what people and tools write, each file a different mix of ``---``,
CRLF, a byte order mark, comments, ``''``, ``~``, block summaries and escapes;
both by default), a synthetic workspace is generated (benchmarks/generate.py) and
every figure below is measured in a fresh child process, as a user runs it:

* ``check cold``  ``python -m generator check WS --as-of 2026-11-28 --format json``
  on a fresh copy of the workspace: no ``site/``, an empty
  ``XDG_CACHE_HOME``, ``CASELOAD_NO_CACHE`` unset (the OS page cache is warm:
  the files were just written);
* ``check warm``  the same command again, nothing changed;
* ``build cold``  ``python -m generator build WS --as-of 2026-11-28`` on another
  fresh copy with an empty cache folder;
* ``build warm``  the same, after one client's file changed (one session booked);

and, in the same run, the baselines:

* ``yaml.load``   ``yaml.load(text, Loader=yaml.CSafeLoader)`` of the same files
  (every caseload file and every site_config file), in a child process;
* ``json.loads``  ``json.loads`` of the same data, one JSON file per caseload file;
* ``mkdocs build`` ``python -m mkdocs build`` of the Markdown that caseload
  renders for the same report (rendered once, untimed, by
  ``generator.site.build.render_docs``), with a configuration equivalent to the
  one caseload builds with (``site.py``'s forced settings).

Wall time is the child's, measured by a wrapper process around it; peak memory
is the child's maximum resident set (``getrusage(RUSAGE_CHILDREN).ru_maxrss``
in a wrapper that runs only that child). Interpreter start-up and imports count,
for the commands and the baselines alike. With ``--repeat R`` each figure is
the fastest of R runs (cold runs each get a fresh copy) and the largest peak.
The check figures are taken in turns with their baselines (yaml.load, check
cold, json.loads, check warm, and again), and the build figures likewise
(mkdocs build, build cold, build warm), so that a slower minute on a shared
machine weighs on both sides of a ratio. The table gives each ratio two ways:
the fastest run over the baseline's fastest, and the median (and range) of the
ratios of each turn, which pairs runs a minute apart when the machine's speed
drifts between turns.

For each workspace the table also gives the share of its content files that
the fast reader accepted (read in this process, untimed), and whether
``check --format json`` printed the same bytes cold, warm, and with the fast
path switched off (``CASELOAD_NO_FAST_YAML=1``, no cache); a difference stops
the run. ``--no-build`` leaves out the build figures and their baseline.

With ``--browser``, each size's built site is also opened in Chromium from
file:// by benchmarks/browser.py (page load times and the client finder), and
its table is printed after the others.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from generate import AS_OF, change_one_client, generate_workspace  # noqa: E402

PY = sys.executable
DEFAULT_SIZES = (100, 1000)
LARGE_SIZE = 10_000
MIB = 1024 * 1024


@dataclass
class Sample:
    wall: float  # seconds
    peak: int  # bytes, maximum resident set size
    cpu: float = 0.0  # seconds of CPU (user + system) of the child and its own children
    others: float = 0.0  # share of the machine that other processes used meanwhile, 0..1
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class Figure:
    name: str
    wall: float
    peak: int
    baseline: str | None  # the figure's baseline, by name
    target: str  # what the issue asks for, for the eye
    runs: list[float] = field(default_factory=list)
    cpu: float = 0.0  # of the fastest run
    others: float = 0.0  # of the fastest run
    # Each turn's wall time over its baseline's in the same turn: on a machine whose
    # speed drifts from minute to minute, these pair runs a minute apart, where the
    # fastest of each side may come from different minutes.
    turns: list[float] = field(default_factory=list)


# --- children -----------------------------------------------------------------------


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux), including steal."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user and nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def _child_measure(argv: Sequence[str]) -> int:
    """Run one command; print its wall time, CPU time, peak RSS and how busy the rest was."""
    capture, command = argv[0] == "capture", json.loads(argv[1])
    busy_before = _busy_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    busy_after = _busy_cpu_seconds()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    others = 0.0
    if busy_before is not None and busy_after is not None and wall > 0:
        others = max(0.0, busy_after - busy_before - cpu) / (wall * (os.cpu_count() or 1))
    output: dict[str, Any] = {}
    if capture and done.stdout.strip():
        output = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({"wall": wall, "peak": usage.ru_maxrss * 1024,  # ru_maxrss: KiB on Linux
                      "cpu": cpu, "others": others, "rc": done.returncode,
                      "stderr": done.stderr[-2000:], "output": output}))
    return 0


def _workspace_yaml_files(root: Path) -> list[Path]:
    files = sorted((root / "content").rglob("*.yaml")) + sorted((root / "content").rglob("*.yml"))
    return files + sorted((root / "site_config").rglob("*.yaml"))


def _child_yaml(argv: Sequence[str]) -> int:
    """Baseline: yaml.load(CSafeLoader) of every file caseload reads."""
    import yaml

    root = Path(argv[0])
    start = time.perf_counter()
    count = 0
    for path in _workspace_yaml_files(root):
        yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=yaml.CSafeLoader)
        count += 1
    print(json.dumps({"files": count, "inner": time.perf_counter() - start}))
    return 0


def _child_json(argv: Sequence[str]) -> int:
    """Baseline: json.loads of the same data, one document per caseload file."""
    root = Path(argv[0])
    start = time.perf_counter()
    count = 0
    for path in sorted(root.rglob("*.json")):
        json.loads(path.read_bytes())
        count += 1
    print(json.dumps({"files": count, "inner": time.perf_counter() - start}))
    return 0


def _child_render(argv: Sequence[str]) -> int:
    """Render the site's Markdown once and write an equivalent mkdocs.yml (untimed)."""
    import yaml
    from markupsafe import escape

    from generator.reading.exact import load_workspace
    from generator.report.report import build_report
    from generator.site.build import nav_for, render_docs, site_title

    workspace, docs_dir, config_file = (Path(a) for a in argv[:3])
    as_of = date.fromisoformat(argv[3])
    report = build_report(load_workspace(workspace), as_of)
    pages = render_docs(report, workspace, docs_dir)
    config = mkdocs_config(workspace / "mkdocs.yml", docs_dir,
                           site_name=str(escape(site_title(report))), nav=nav_for(pages))
    config_file.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                           encoding="utf-8")
    print(json.dumps({"pages": len(pages)}))
    return 0


def mkdocs_config(source: Path, docs_dir: Path, *, site_name: str,
                  nav: list[dict[str, str]]) -> dict[str, Any]:
    """The workspace's mkdocs.yml with the settings `generator.site.engine` forces, as YAML."""
    import yaml

    config: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    config.update(docs_dir=str(docs_dir.absolute()), site_name=site_name, nav=nav,
                  use_directory_urls=False, strict=True,
                  validation={"nav": {"omitted_files": "ignore"}})
    for key in ("site_url", "repo_url", "repo_name", "edit_uri"):
        config.pop(key, None)
    theme = config.setdefault("theme", {"name": "material"})
    theme["font"] = False
    extra = config.setdefault("extra", {})
    for key in ("analytics", "consent", "social", "alternate", "version"):
        extra.pop(key, None)
    extra.update(polyfills=[], generator=False)
    return config


CHILDREN = {"_measure": _child_measure, "_yaml": _child_yaml, "_json": _child_json,
            "_render": _child_render}


# --- the parent -----------------------------------------------------------------------


def measure(command: list[str], *, env: dict[str, str] | None = None, capture: bool = False,
            ok: tuple[int, ...] = (0,)) -> Sample:
    """Wall time and peak memory of `command`, run by a wrapper that runs nothing else."""
    wrapper = [PY, str(Path(__file__).resolve()), "_measure",
               "capture" if capture else "discard", json.dumps(command)]
    done = subprocess.run(wrapper, capture_output=True, text=True, env=env, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if data["rc"] not in ok:
        raise RuntimeError(f"{' '.join(command)} exited {data['rc']}:\n{data['stderr']}")
    return Sample(data["wall"], data["peak"], data["cpu"], data["others"], data["output"])


def _env(cache_dir: Path | None = None, epoch: int | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CASELOAD_NO_CACHE", None)  # measure caseload as users run it
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        env["XDG_CACHE_HOME"] = str(cache_dir)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return env


def _best(name: str, samples: list[Sample], baseline: str | None, target: str,
          baseline_samples: list[Sample] | None = None) -> Figure:
    """The figure's fastest run (and largest peak); with the baseline's runs, taken
    in the same turns, each turn's ratio too."""
    fastest = min(samples, key=lambda s: s.wall)
    turns = [round(s.wall / b.wall, 4) for s, b in zip(samples, baseline_samples or [],
                                                       strict=False) if b.wall]
    return Figure(name, fastest.wall, max(s.peak for s in samples), baseline, target,
                  [round(s.wall, 3) for s in samples], fastest.cpu, fastest.others, turns)


def _fresh_copy(master: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    # Never carry a cache or a built site into a cold run.
    shutil.copytree(master, target, symlinks=True,
                    ignore=shutil.ignore_patterns(".caseload-cache", "site"))
    return target


def fast_share(root: Path, files: list[Path]) -> float:
    """The share of `files` that the fast reader accepts (the rest the exact one reads)."""
    from generator.reading import fast

    accepted = 0
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        accepted += fast.read_clients(data, text, path.relative_to(root).as_posix()) is not None
    return accepted / len(files) if files else 1.0


def same_check_output(master: Path, base: Path, check: Callable[[Path], list[str]]) -> bool:
    """Whether `check --format json` prints the same bytes cold (fast path on), warm, and
    with the fast path off and no cache; run apart from the timed runs."""
    ws = _fresh_copy(master, base / "identical")
    cache = base / "cache-identical"
    outputs = []
    for env in (_env(cache), _env(cache), {**_env(), "CASELOAD_NO_FAST_YAML": "1",
                                           "CASELOAD_NO_CACHE": "1"}):
        done = subprocess.run(check(ws), env=env, capture_output=True, check=False)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"check exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        outputs.append(done.stdout)
    shutil.rmtree(ws, ignore_errors=True)
    return outputs[0] == outputs[1] == outputs[2]


def run_size(n: int, work: Path, seed: int, repeat: int, as_of: str,
             log: Any = sys.stderr, browser: bool = False, style: str = "benchmark",
             build: bool = True) -> dict[str, Any]:
    """Every figure for one workspace size and style of YAML."""
    from generator.site.build import source_date_epoch

    label = f"{n} {style}"
    base = work / f"n{n}-{style}"
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    master, json_dir = base / "workspace", base / "json"
    print(f"[{label}] generating {n} clients ...", file=log, flush=True)
    files = generate_workspace(master, n, seed, json_dir=json_dir, style=style)
    size = sum(f.stat().st_size for f in files)
    findings_ok = (0, 1)  # 1: some findings are errors; 2 (invalid input) would be a bug

    def check(ws: Path) -> list[str]:
        return [PY, "-m", "generator", "check", str(ws), "--as-of", as_of, "--format", "json"]

    def step(what: str) -> None:
        print(f"[{label}] {what} ...", file=log, flush=True)

    def done(what: str, samples: list[Sample]) -> list[Sample]:
        walls = ", ".join(f"{s.wall:.2f} (others {100 * s.others:.0f} %)" for s in samples)
        print(f"[{label}]   {what}: {walls} s", file=log, flush=True)
        return samples

    share = fast_share(master, files)
    step(f"fast path accepts {100 * share:.1f} % of the files; check output cold = warm = exact")
    if not same_check_output(master, base, check):
        raise RuntimeError(f"[{label}] check --format json differs between cold, warm and "
                           "the fast path switched off")

    # Each check figure is measured right after its baseline, in turns, so that a
    # slower minute of a shared machine slows both sides of a ratio alike.
    step("check cold after yaml.load, check warm after json.loads, in turns")
    yaml_runs: list[Sample] = []
    json_runs: list[Sample] = []
    cold: list[Sample] = []
    warm: list[Sample] = []
    for attempt in range(repeat):
        yaml_runs.append(measure([PY, __file__, "_yaml", str(master)], capture=True))
        ws = _fresh_copy(master, base / "check")
        env = _env(base / f"cache-check-{attempt}")
        cold.append(measure(check(ws), env=env, ok=findings_ok))
        json_runs.append(measure([PY, __file__, "_json", str(json_dir)], capture=True))
        warm.append(measure(check(ws), env=env, ok=findings_ok))
    for what, samples in (("yaml.load", yaml_runs), ("check cold", cold),
                          ("json.loads", json_runs), ("check warm", warm)):
        done(what, samples)

    figures = [
        _best("check cold", cold, "yaml.load", "≤ 0.25x yaml.load", yaml_runs),
        _best("check warm", warm, "json.loads", "≤ 3x json.loads", json_runs),
        _best("yaml.load", yaml_runs, None, "baseline"),
        _best("json.loads", json_runs, None, "baseline"),
    ]
    result = {"clients": n, "style": style, "files": len(files), "bytes": size,
              "fast_share": share, "identical": True, "figures": [], "browser": {},
              "inner": {"yaml.load": min(s.output["inner"] for s in yaml_runs),
                        "json.loads": min(s.output["inner"] for s in json_runs)}}
    if not build:
        result["figures"] = [asdict(f) for f in figures]
        return result

    # The same turns for the build: the bare MkDocs build, a cold build of a fresh
    # copy, then a warm one after one client's file changed.
    docs, config, site = base / "mkdocs-docs", base / "mkdocs-baseline.yml", base / "mkdocs-site"
    subprocess.run([PY, __file__, "_render", str(master), str(docs), str(config), as_of],
                   check=True, env=_env(), stdout=subprocess.DEVNULL)
    epoch = source_date_epoch(date.fromisoformat(as_of))

    def build_command(ws: Path) -> list[str]:
        return [PY, "-m", "generator", "build", str(ws), "--as-of", as_of]

    step("mkdocs build, then build cold, then build warm after one change, in turns")
    mkdocs_runs: list[Sample] = []
    build_cold: list[Sample] = []
    build_warm: list[Sample] = []
    for attempt in range(repeat):
        if site.exists():
            shutil.rmtree(site)
        mkdocs_runs.append(measure([PY, "-m", "mkdocs", "build", "-q", "-f", str(config),
                                    "-d", str(site)], env=_env(epoch=epoch)))
        ws = _fresh_copy(master, base / "build")
        env = _env(base / f"cache-build-{attempt}")
        build_cold.append(measure(build_command(ws), env=env))
        change_one_client(ws, seed)
        build_warm.append(measure(build_command(ws), env=env))
    for what, samples in (("mkdocs build", mkdocs_runs), ("build cold", build_cold),
                          ("build warm", build_warm)):
        done(what, samples)

    pages: dict[str, Any] = {}
    if browser:
        # Imported here: playwright and Chromium are needed for --browser only.
        from browser import measure_site

        step("browser: the built site from file://")
        # Never fewer than 3: one page load varies far more than one build does.
        measured, notes = measure_site(ws / "site", max(repeat, 3), log=log)
        pages = {"pages": [asdict(m) for m in measured], "notes": notes}

    figures[2:2] = [
        _best("build cold", build_cold, "mkdocs build", "≤ 1.1x mkdocs build", mkdocs_runs),
        _best("build warm", build_warm, "build cold", "≤ 0.2x build cold", build_cold),
    ]
    figures.append(_best("mkdocs build", mkdocs_runs, None, "baseline"))
    shutil.rmtree(base / "build", ignore_errors=True)  # the sites are large
    shutil.rmtree(site, ignore_errors=True)
    result.update(figures=[asdict(f) for f in figures], browser=pages)
    return result


def startup_floor(repeat: int) -> dict[str, float]:
    """What every child pays before it does anything: the interpreter, and our imports."""
    probes = {
        "python -c pass": [PY, "-c", "pass"],
        "import yaml": [PY, "-c", "import yaml"],
        "caseload --version": [PY, "-m", "generator", "--version"],
    }
    return {name: min(measure(cmd, env=_env()).wall for _ in range(max(repeat, 3)))
            for name, cmd in probes.items()}


# --- the table ------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def _turns(ratios: list[float]) -> str:
    """The median of the per-turn ratios, and their range."""
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| clients | style | fast path | measurement | wall s | cpu s | peak MiB | baseline "
        "| x wall | x wall per turn | x peak | target | others |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for result in results:
        by_name = {f["name"]: f for f in result["figures"]}
        for figure in result["figures"]:
            base = by_name.get(figure["baseline"] or "")
            lines.append(
                f"| {result['clients']:,} | {result.get('style', 'benchmark')} "
                f"| {100 * result.get('fast_share', 1):.1f} % | {figure['name']} "
                f"| {figure['wall']:.2f} "
                f"| {figure['cpu']:.2f} | {figure['peak'] / MIB:.0f} | {figure['baseline'] or '-'} "
                f"| {_ratio(figure['wall'], base['wall']) if base else '-'} "
                f"| {_turns(figure.get('turns', []))} "
                f"| {_ratio(figure['peak'], base['peak']) if base else '-'} "
                f"| {figure['target']} | {100 * figure['others']:.0f} % |")
    return "\n".join(lines)


def scaling_table(results: list[dict[str, Any]]) -> str:
    """Per-client wall time at every size, and its drift from 1,000 clients, for each
    style of YAML."""
    styles = list(dict.fromkeys(r.get("style", "benchmark") for r in results))
    return "\n\n".join(_scaling_table([r for r in results if r.get("style", "benchmark") == s],
                                      s) for s in styles)


def _scaling_table(results: list[dict[str, Any]], style: str) -> str:
    sizes = [r["clients"] for r in results]
    reference = 1000 if 1000 in sizes else sizes[0]
    header = f"| measurement ({style}) | " + " | ".join(f"ms/client @ {n:,}" for n in sizes)
    header += f" | largest ÷ {reference:,} | peak MiB @ {sizes[-1]:,} |"
    lines = [header, "| --- |" + " ---: |" * (len(sizes) + 2)]
    names = [f["name"] for f in results[0]["figures"]]
    for name in names:
        per_client = []
        for result in results:
            figure = next(f for f in result["figures"] if f["name"] == name)
            per_client.append(1000 * figure["wall"] / result["clients"])
        last = next(f for f in results[-1]["figures"] if f["name"] == name)
        drift = per_client[-1] / per_client[sizes.index(reference)]
        shown = f"{drift:.2f}x" if sizes[-1] != reference else "-"
        lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in per_client)
                     + f" | {shown} | {last['peak'] / MIB:.0f} |")
    return "\n".join(lines)


def git_commit() -> str:
    """HEAD, with a mark when generator/ has uncommitted changes."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "generator",
                                "templates"], capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def environment_line(started_load: float, started_commit: str) -> str:
    import mkdocs
    import yaml

    commit = git_commit()
    code = f"commit {commit}" if commit == started_commit else \
        f"the code changed during the run: commit {started_commit} at start, {commit} at end"
    return (f"Python {platform.python_version()}, PyYAML {yaml.__version__} "
            f"(libyaml {'yes' if yaml.__with_libyaml__ else 'no'}), MkDocs {mkdocs.__version__}, "
            f"{os.cpu_count()} CPUs, load average {started_load:.2f} at start / "
            f"{os.getloadavg()[0]:.2f} at end, {code}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CHILDREN:
        return CHILDREN[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help=f"also {LARGE_SIZE:,} clients")
    parser.add_argument("--sizes", help="comma-separated client counts (default 100,1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the best counts")
    parser.add_argument("--as-of", default=AS_OF.isoformat())
    parser.add_argument("--work-dir", type=Path, help="where workspaces go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--styles", default="benchmark,mixed",
                        help="comma-separated styles of YAML (benchmark, mixed; default both)")
    parser.add_argument("--no-build", action="store_true",
                        help="time check only (leave out build and the mkdocs baseline)")
    parser.add_argument("--browser", action="store_true",
                        help="also time each built site's pages in Chromium (browser.py)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(DEFAULT_SIZES)
    styles = args.styles.split(",")
    if args.browser and args.no_build:
        parser.error("--browser needs the built sites: leave out --no-build")
    if args.large and LARGE_SIZE not in sizes:
        sizes.append(LARGE_SIZE)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="caseload-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started_load, started_commit = os.getloadavg()[0], git_commit()
    started = time.perf_counter()
    try:
        floor = startup_floor(args.repeat)
        results = [run_size(n, work, args.seed, args.repeat, args.as_of, browser=args.browser,
                            style=style, build=not args.no_build)
                   for n in sizes for style in styles]
    finally:
        if not args.keep and args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    env_line = environment_line(started_load, started_commit)
    print(table(results))
    print()
    print(scaling_table(results))
    print()
    for result in results:
        print(f"- {result['clients']:,} clients, {result['style']} style: "
              f"{result['files']:,} files, "
              f"{result['bytes'] / 1e6:.1f} MB of YAML; inside the baseline processes "
              f"yaml.load took {result['inner']['yaml.load']:.2f} s and json.loads "
              f"{result['inner']['json.loads']:.2f} s; the fast path accepted "
              f"{100 * result['fast_share']:.1f} % of the files; check's JSON was the same "
              "cold, warm and with the fast path off")
    print("- start-up floor (every child pays it): " + ", ".join(
        f"{name} {wall:.2f} s" for name, wall in floor.items()))
    print(f"- {env_line}; the whole run took {time.perf_counter() - started:.0f} s")
    if args.browser:
        from browser import Measurement
        from browser import table as browser_table

        print()
        print(browser_table([Measurement(**m) for r in results for m in r["browser"]["pages"]]))
        print()
        for result in results:
            for note in result["browser"]["notes"]:
                print(f"- {result['clients']:,} clients: {note}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "startup": floor,
                                         "environment": env_line}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
