"""The package layers: the wire package needs nothing but the standard library, so the
server, the relay and the desktop can each be installed without the others' stacks.

(The import rules between our own packages are import-linter contracts in setup.cfg,
run by ``./dev test``; this checks what import-linter cannot: "standard library only".)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import remotewire

WIRE = Path(remotewire.__file__).parent


def imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_wire_package_imports_only_the_standard_library() -> None:
    modules = sorted(WIRE.glob("*.py"))
    assert len(modules) >= 8
    foreign = {
        f"{path.name}: {name}"
        for path in modules
        for name in imported_top_levels(path)
        if name not in sys.stdlib_module_names and name not in {"remotewire", "__future__"}
    }
    assert not foreign
