"""A digest of caseload's own code, read through the import system.

Caches and page keys must change whenever the code that shapes their output
does. The code is read with `importlib.resources`, so the digest is the same for
a wheel, a zip or an editable install, and no module has to be imported (and so
no import cycle made) just to be hashed.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from generator import __version__


@cache
def code_digest(*packages: str) -> bytes:
    """SHA-256 over caseload's version and every `.py` file of the named sub-packages
    of `generator` (e.g. "reading", "model"), or leaf modules ("wording.py")."""
    digest = hashlib.sha256(__version__.encode("utf-8"))
    root = files("generator")
    for name in packages:
        for path, resource in sorted(_python_files(root / name, name)):
            digest.update(path.encode("utf-8") + b"\0" + resource.read_bytes() + b"\0")
    return digest.digest()


def _python_files(resource: Traversable, path: str) -> list[tuple[str, Traversable]]:
    if resource.is_file():
        return [(path, resource)] if path.endswith(".py") else []
    found: list[tuple[str, Traversable]] = []
    for child in resource.iterdir():
        if child.name != "__pycache__":
            found.extend(_python_files(child, f"{path}/{child.name}"))
    return found
