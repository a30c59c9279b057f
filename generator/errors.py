"""Failures a user can act on, raised deep down and reported by the command line.

They live here, apart from the modules that raise them, so that the command
line can name them without importing the site engine (which `check` never needs).
"""

from __future__ import annotations


class TemplateProblem(Exception):
    """A template that cannot be loaded or rendered (a user's override, usually)."""


class SiteBuildError(Exception):
    """The site could not be built; the previous site, if any, is unchanged.

    ``str(error)`` is a single line. ``problems`` holds every warning or error
    the site engine reported, for callers that want to show them all.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(" ".join(str(message).split()))
        self.problems = problems
