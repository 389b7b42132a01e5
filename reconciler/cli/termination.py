"""SIGTERM and SIGHUP end a run as Ctrl-C does: what CI sends when a job is cancelled.

The default for either signal is to die at once: an apply stopped that way prints no
summary and writes no report, though the server may hold half of it. Here each becomes a
``Terminated`` exception in the main thread, a kind of ``KeyboardInterrupt``, so every
place that handles Ctrl-C handles it too: the executor starts nothing more and lets the
requests in flight finish, the summary and the report say what was done and what was
not, and the process exits 128 + the signal's number (143 for SIGTERM, 129 for SIGHUP),
as a shell reports a process the signal ended.

Once a run is stopping (after a first SIGTERM, SIGHUP or Ctrl-C), a further SIGTERM or
SIGHUP is ignored, so that the report still gets written (a CI runner that cancels a job
sends SIGINT, then SIGTERM a few seconds later); a second Ctrl-C still stops at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

INTERRUPTED = 128 + signal.SIGINT
"""The exit code of a run stopped by Ctrl-C (typer's, for any ``KeyboardInterrupt``)."""


class Terminated(KeyboardInterrupt):
    """The run was told to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


@dataclass
class Stop:
    """What stopped the run, if anything did: the first signal received."""

    signum: int | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        """128 + the signal: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
        return 128 + (self.signum or signal.SIGINT)


@contextmanager
def stopping_like_ctrl_c() -> Iterator[Stop]:
    """For the block: SIGTERM and SIGHUP raise ``Terminated``, SIGINT ``KeyboardInterrupt``
    (each once; see the module's docstring); the ``Stop`` yielded names the first signal.
    Outside the main thread, nothing changes."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def terminate(signum: int, frame: FrameType | None) -> None:
        if stop.signum is None:
            stop.signum = signum
            raise Terminated(signum)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if stop.signum is None:
            stop.signum = signum
        raise KeyboardInterrupt

    previous = {s: signal.getsignal(s) for s in (*SIGNALS, signal.SIGINT)}
    for signum in SIGNALS:
        signal.signal(signum, terminate)
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)  # only where Python's own handler stood
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
