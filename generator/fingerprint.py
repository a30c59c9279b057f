"""A digest of caseload's own code, read through the import system.

Caches and page keys must change whenever the code that shapes their output
does. The code is read with `importlib.resources`, so the digest is the same for
a wheel, a zip or an editable install (where a sub-package such as
`generator.templates` may live in another folder than `generator` itself).
A sub-package's `__init__` is imported to find it, but none of its modules are
(and so no import cycle is made) just to be hashed.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from generator import __version__


@cache
def code_digest(*packages: str) -> bytes:
    """SHA-256 over caseload's version and every file of the named sub-packages of
    `generator` (e.g. "reading", "model", "templates": code and the data files it
    ships, compiled bytecode left out), or of leaf modules ("wording.py")."""
    digest = hashlib.sha256(__version__.encode("utf-8"))
    for name in packages:
        if name.endswith(".py"):
            found = [(name, files("generator") / name)]
        else:  # looked up as a package, wherever the import system finds it
            found = _package_files(files(f"generator.{name}"), name)
        for path, resource in sorted(found, key=lambda item: item[0]):
            digest.update(path.encode("utf-8") + b"\0" + resource.read_bytes() + b"\0")
    return digest.digest()


def _package_files(resource: Traversable, path: str) -> list[tuple[str, Traversable]]:
    if resource.is_file():
        return [] if path.endswith((".pyc", ".pyo")) else [(path, resource)]
    found: list[tuple[str, Traversable]] = []
    for child in resource.iterdir():
        if child.name != "__pycache__":
            found.extend(_package_files(child, f"{path}/{child.name}"))
    return found
