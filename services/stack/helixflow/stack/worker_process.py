"""``python -m helixflow.stack.worker_process``: a worker as ``helixflow up``'s child.

Before it runs the worker, it asks Linux to send it SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``), so a killed ``helixflow up`` leaves no orphan worker holding
a port and a model in memory. This runs in the child itself, not in a pre-exec hook:
Python code between fork and exec in a process with gRPC threads can deadlock or abort.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys

import typer

from helixflow.worker.cli import worker

PARENT_PID_ENV = "HELIXFLOW_STACK_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """SIGTERM when the parent exits; exit at once if it already has. Linux only."""
    expected = int(os.environ.get(PARENT_PID_ENV, "0"))
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if expected and os.getppid() != expected:  # the parent died before prctl took effect
        sys.exit("helixflow up exited before this worker started")


if __name__ == "__main__":
    die_with_parent()
    typer.run(worker)
