"""The package's layout shows the pipeline, and imports keep to it.

files → reading → model → rules → report → pages → site → archive, with the
commands (`cli`, `init`) on top; importing (exports → ledger files) beside
reading, on the model alone. A stage imports only the stages below it; the
leaf modules (`errors`, `fingerprint`, `wording`, `parallel`, `private`,
`regularfile`, `usercache`) import no stage. Nothing outside `reading/` imports
its fast reader or its cache, and no output imports `reading/` at all. There
are no import cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

# Each stage, and the stages it may import (besides itself and the leaves).
STAGES: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "reading": frozenset({"model"}),
    "importing": frozenset({"model"}),
    "rules": frozenset({"model"}),
    "report": frozenset({"model", "rules"}),
    "pages": frozenset({"model", "rules", "report"}),
    "site": frozenset({"model", "rules", "report", "pages"}),
    "archive": frozenset({"model", "rules", "report", "pages", "site"}),
}
LEAVES = frozenset({"__init__", "errors", "fingerprint", "wording", "parallel", "private",
                    "regularfile", "usercache"})
COMMANDS = frozenset({"cli", "__main__", "init"})
OUTPUTS = ("report", "pages", "site", "archive")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _nodes(tree: ast.AST, typing: bool) -> list[ast.AST]:
    """Every node of `tree`; without `typing`, none under `if TYPE_CHECKING:`."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if not typing and isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def imported_modules(path: Path, *, typing: bool = True) -> set[str]:
    """Every generator module `path` imports, wherever the import statement stands
    (without `typing`, those imported only for the type checker are left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in _nodes(tree, typing):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("generator"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("generator"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                sub = PACKAGE.parent / Path(*candidate.split("."))
                is_module = sub.with_suffix(".py").is_file() or sub.is_dir()
                found.add(candidate if is_module else node.module)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {name: imported_modules(path) for name, path in MODULES.items()}


def stage_of(module: str) -> str:
    """'generator.rules.engine' -> 'rules'; 'generator.wording' -> 'wording'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_belongs_to_a_stage_a_leaf_or_a_command() -> None:
    strays = [m for m in MODULES if stage_of(m) not in STAGES.keys() | LEAVES | COMMANDS
              and stage_of(m) != "templates"]
    assert strays == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_downhill(module: str) -> None:
    stage = stage_of(module)
    if stage in COMMANDS:
        return
    allowed = (STAGES.get(stage, frozenset()) | {stage}) if stage not in LEAVES else set()
    wrong = sorted(i for i in IMPORTS[module]
                   if stage_of(i) not in allowed | LEAVES and i != "generator")
    assert wrong == [], f"{module} imports {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_reading_meets_its_fast_reader_and_cache(module: str) -> None:
    if stage_of(module) == "reading":
        return
    inner = sorted(i for i in IMPORTS[module] if i.startswith("generator.reading."))
    assert inner == [], f"{module} imports {inner}; use the seam generator.reading"


@pytest.mark.parametrize("stage", [*OUTPUTS, "importing"])
def test_outputs_never_import_reading(stage: str) -> None:
    offenders = sorted(m for m in MODULES if stage_of(m) == stage
                       and any(stage_of(i) == "reading" for i in IMPORTS[m]))
    assert offenders == []


def test_no_import_cycles() -> None:
    # Imports for the type checker alone do not run, so they cannot make a cycle.
    runtime = {name: imported_modules(path, typing=False) for name, path in MODULES.items()}
    graph = {m: {i for i in runtime[m] if i in MODULES and i != m} for m in MODULES}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail, module]))
        if module in done:
            return
        for target in sorted(graph[module]):
            # A package's __init__ is imported with any of its modules: no cycle there.
            if module.startswith(target + ".") or target.startswith(module + "."):
                continue
            visit(target, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    # The rules above must be able to fail: a rule module importing the fast reader.
    bad = tmp_path / "bad.py"
    bad.write_text("from generator.reading import fast\nimport generator.pages.render\n")
    assert imported_modules(bad) == {"generator.reading.fast", "generator.pages.render"}
