"""Layout checks that import-linter's contracts do not cover (run by `python3 dev.py lint`).

1. **No import cycles** between first-party modules, counting imports inside functions too
   (grimp sees every import statement): a function-level import that only dodges a cycle
   still is one. A cycle is broken by moving the shared thing down, a signal or a registry
   (docs/architecture.md, "The map").
2. **No module over 600 lines** in anchorboard/, foundation/, canvas/, assets/ (migrations
   aside): a module that grows past it is split by concern.

``KNOWN_CYCLES`` and ``KNOWN_LONG`` name the exceptions that are still being worked off;
the check fails when a new one appears and also when a listed one is gone (shrink the list).
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("anchorboard", "foundation", "canvas", "assets")
MAX_LINES = 600

# Each entry: the modules of one cycle (a strongly connected component), sorted.
KNOWN_CYCLES: set[tuple[str, ...]] = set()
KNOWN_LONG: set[str] = set()


def cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if ".migrations" not in m)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(tuple(sorted(component)))
    return sorted(found)


def long_modules() -> dict[str, int]:
    sizes = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                sizes[str(path.relative_to(ROOT))] = lines
    return sizes


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    problems = []
    found = set(cycles(graph))
    for cycle in sorted(found - KNOWN_CYCLES):
        chain = graph.find_shortest_chain(importer=cycle[0], imported=cycle[1]) or ()
        back = graph.find_shortest_chain(importer=cycle[1], imported=cycle[0]) or ()
        problems.append(
            f"import cycle: {', '.join(cycle)}\n    {' -> '.join(chain)}\n    {' -> '.join(back)}"
        )
    for cycle in sorted(KNOWN_CYCLES - found):
        problems.append(f"cycle gone, remove it from KNOWN_CYCLES: {', '.join(cycle)}")
    sizes = long_modules()
    for path in sorted(set(sizes) - KNOWN_LONG):
        problems.append(f"{path}: {sizes[path]} lines (over {MAX_LINES}): split it by concern")
    for path in sorted(KNOWN_LONG - set(sizes)):
        problems.append(f"{path} is no longer over {MAX_LINES} lines: remove it from KNOWN_LONG")
    for problem in problems:
        print(problem)
    if not problems:
        print(
            f"layout: no new import cycle ({len(KNOWN_CYCLES)} known), no new module over "
            f"{MAX_LINES} lines ({len(KNOWN_LONG)} known)"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
