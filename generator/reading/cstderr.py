"""rapidyaml's diagnostics, kept off the terminal without touching file descriptor 2.

On a parse error rapidyaml writes a diagnostic through C's `stderr` stream (a
`FILE *`) and then raises. The fast reader declines that file and the exact
reader reports the problem in caseload's words, so the diagnostic must not reach
the terminal. Pointing descriptor 2 at /dev/null for the call would silence the
whole process meanwhile: another thread's errors (`caseload serve` runs more
than one) and, were rapidyaml to crash, its message and Python's report of the
crash. So `quiet()` diverts less: for the duration of the call, C's `stderr`
variable points at a stream in memory. Only C code that writes through that
stream is diverted; Python's `sys.stderr`, `faulthandler` and anything else
that writes to the descriptor are not. Whatever was captured and is not a
rapidyaml parse diagnostic (another thread's C output, anything from a call
that did not fail as a parse error) is written to the real stream right after.

Where C's `stderr` variable cannot be reached (it is `stderr` in glibc and musl,
`__stderrp` on macOS; Windows has none), nothing is diverted and rapidyaml's
diagnostics do show, before caseload's own messages.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import re
import sys
import threading
from collections.abc import Iterator

# What rapidyaml writes before raising: "line=2 col=11 (18B): ERROR: [parse] two colons
# on same line", or "FILE:LINE: ERROR: [visit] max depth exceeded" for an error
# without a place in the YAML; then the C++ source line that detected it, or the
# node of the tree it was visiting.
_DIAGNOSTIC = re.compile(
    rb"(?:line=\d+ col=\d+ \(\d+B\): |[^\n]*:\d+: )?ERROR: \[[a-z]+\] [^\n]*\n"
    rb"(?:[^\n]*:\d+: (?:\(detected here\)|ERROR: \(node=\d+ tree=0x[0-9a-f]+\))\n)?"
)


class _Capture:
    """One stream in memory for the process, swapped in for C's `stderr` around a call."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None)
        self.stderr = ctypes.c_void_p.in_dll(libc, "__stderrp" if sys.platform == "darwin"
                                             else "stderr")
        open_memstream = libc.open_memstream
        open_memstream.restype = ctypes.c_void_p
        open_memstream.argtypes = (ctypes.POINTER(ctypes.c_void_p),
                                   ctypes.POINTER(ctypes.c_size_t))
        for name in ("fflush", "flockfile", "funlockfile"):
            getattr(libc, name).argtypes = (ctypes.c_void_p,)
        libc.fseek.argtypes = (ctypes.c_void_p, ctypes.c_long, ctypes.c_int)
        libc.fwrite.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                                ctypes.c_void_p)
        self.libc = libc
        self.buffer = ctypes.c_void_p()
        self.size = ctypes.c_size_t()
        # Never closed: a thread that took the pointer while it was swapped in may
        # still write to it.
        self.memory = open_memstream(ctypes.byref(self.buffer), ctypes.byref(self.size))
        if not self.memory or not self.stderr.value:
            raise OSError("no stream in memory")
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def diverted(self, expected: tuple[type[BaseException], ...]) -> Iterator[None]:
        """C's `stderr` in memory for the block; rapidyaml's diagnostic is dropped when
        the block raises one of `expected` (its parse errors), anything else is passed on."""
        with self.lock:
            real = self.stderr.value
            self.stderr.value = self.memory
            failed = False
            try:
                yield
            except expected:
                failed = True
                raise
            finally:
                self.stderr.value = real
                self.pass_on(real, failed)

    def pass_on(self, real: int | None, failed: bool = False) -> None:
        """Write what was captured to the real stream, less rapidyaml's diagnostics if
        the call `failed` as expected, and empty the stream in memory."""
        libc, memory = self.libc, self.memory
        libc.flockfile(memory)  # another thread may still be writing to it
        try:
            libc.fflush(memory)
            if not self.size.value:
                return
            captured = ctypes.string_at(self.buffer.value or 0, self.size.value)
            libc.fseek(memory, 0, 0)
            libc.fflush(memory)
        finally:
            libc.funlockfile(memory)
        rest = _DIAGNOSTIC.sub(b"", captured) if failed else captured
        if rest and real:
            libc.fwrite(rest, 1, len(rest), real)
            libc.fflush(real)


    def flush(self) -> None:
        """Pass on what a thread wrote after the last call (at exit)."""
        self.pass_on(self.stderr.value)


_capture: _Capture | None = None
_tried = False
_setting_up = threading.Lock()


def _the_capture() -> _Capture | None:
    global _capture, _tried
    if not _tried:
        with _setting_up:
            if not _tried:
                try:
                    capture = _Capture()
                except (OSError, AttributeError, ValueError, TypeError):
                    pass
                else:
                    atexit.register(capture.flush)
                    _capture = capture
                _tried = True
    return _capture


def quiet(expected: tuple[type[BaseException], ...]) -> contextlib.AbstractContextManager[None]:
    """A block in which rapidyaml's diagnostics of the errors `expected` stay off the
    terminal, and nothing else does."""
    capture = _the_capture()
    return contextlib.nullcontext() if capture is None else capture.diverted(expected)
