"""What every vLLM test module shares: require vllm (or skip outside the vLLM venv) and the marks.

``make test-vllm`` sets HELIXFLOW_REQUIRE_VLLM=1, so there a missing vllm fails
the run; the main venv does not collect these modules at all.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from prerequisites import unavailable


def require_vllm() -> None:
    """Call at module level, before importing anything that needs vllm."""
    if importlib.util.find_spec("vllm") is not None:
        return
    if os.environ.get("HELIXFLOW_REQUIRE_VLLM") == "1":
        pytest.fail("HELIXFLOW_REQUIRE_VLLM=1 but vllm is not importable", pytrace=False)
    unavailable("vllm is not installed (set HELIXFLOW_REQUIRE_VLLM=1 to require it)", module_level=True)


# vLLM and torch emit many third-party warnings on CPU; engine start-up is slow on 2 cores.
VLLM_MARKS = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
