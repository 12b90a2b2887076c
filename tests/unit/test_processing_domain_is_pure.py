"""Processing's domain does no I/O: no module of it imports a driver, a framework or the
service's rooms that do (its use cases, repository, HTTP edge, composition root)."""

from __future__ import annotations

import ast
from pathlib import Path

import services.processing.domain as domain

FORBIDDEN = ("asyncpg", "fastapi", "faststream", "aiokafka", "httpx", "structlog",
             "shared.runtime", "services.processing.handlers", "services.processing.repository",
             "services.processing.api", "services.processing.bootstrap",
             "services.processing.deps")


def test_the_domain_imports_nothing_that_does_io() -> None:
    found = []
    for path in sorted(Path(domain.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [(path.name, name) for name in names
                      if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)]
    assert found == []
