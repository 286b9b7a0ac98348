"""Sort a py-spy profile of a ``helixflow worker`` into the decode loop's parts.

    py-spy record --nonblocking --idle -r 100 -d 20 --format raw -o prof.txt --pid <worker pid>
    .venv/bin/python bench/profile_summary.py prof.txt [LINE]

(``--native`` also works, but it pauses the process for every sample, so the run slows
a lot.) It prints, for the decode thread and the asyncio thread, the share of samples
in ``llama_decode``, sampling, detokenising and stop matching, and delivery. Without
``--native`` the ``llama_decode`` call shows as the line of the scheduler method that calls it: LINE,
by default the line of this checkout's ``llama_scheduler.py`` that does.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

SCHEDULER = Path(__file__).resolve().parents[1] / "services/worker/helixflow/worker/backends/llama_scheduler.py"


def decode_leaf() -> str:
    """How py-spy names the frame that calls ``llama_decode``: its method and line (LINE, by
    default the line of this checkout's ``llama_scheduler.py`` that makes the call)."""
    lines = SCHEDULER.read_text().splitlines()
    line = (
        int(sys.argv[2])
        if len(sys.argv) > 2
        else 1 + next(i for i, text in enumerate(lines) if "llama_cpp.llama_decode(" in text)
    )
    method = next(text for text in reversed(lines[:line]) if text.lstrip().startswith("def "))
    name = method.split("def ", 1)[1].split("(", 1)[0]
    return f"Scheduler.{name} (worker/backends/llama_scheduler.py:{line})"


def decode_thread(stack: str, decode_leaf: str) -> str:
    if "llama_decode" in stack or stack.endswith(decode_leaf):
        return "llama_decode"
    if "Condition.wait" in stack:
        return "idle (waiting for work)"
    if "TextAssembler" in stack or "LlamaModel.piece" in stack:
        return "detokenise + stop matching"
    if "llama_sampler_sample" in stack or "SamplerChain.sample" in stack or "_greedy_picks" in stack:
        return "sampling"
    if "_flush_outbox" in stack or "_post" in stack:
        return "delivery (call_soon_threadsafe)"
    if "_decode" in stack:
        return "batch fill"
    if "_admit" in stack:
        return "admission"
    return "other python"


def asyncio_thread(stack: str) -> str:
    if stack.rsplit(";", 1)[-1].startswith("EpollSelector.select"):
        return "idle (epoll)"
    if "_deliver" in stack:
        return "delivery (_deliver)"
    if "servicer" in stack or "convert" in stack:
        return "servicer + proto conversion"
    if "cygrpc" in stack:
        return "grpc"
    return "other"


def main() -> None:
    leaf = decode_leaf()
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    with open(sys.argv[1]) as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            if "Scheduler._run" in stack:
                counts["decode thread", decode_thread(stack, leaf)] += int(count)
            elif "BaseEventLoop" in stack:
                counts["asyncio thread", asyncio_thread(stack)] += int(count)
    for thread in ("decode thread", "asyncio thread"):
        total = sum(n for (t, _), n in counts.items() if t == thread)
        idle = sum(n for (t, part), n in counts.items() if t == thread and part.startswith("idle"))
        print(f"{thread}: {total} samples, {total - idle} busy")
        for (t, part), n in counts.most_common():
            if t == thread and not part.startswith("idle"):
                print(f"  {100 * n / max(1, total - idle):5.1f}% of busy  {part}")
        if idle:
            print(f"  ({100 * idle / total:.1f}% of all samples idle)")


if __name__ == "__main__":
    main()
