"""Contract tooling: buf lint passes, gen/ matches proto/, and buf breaking catches breaks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUF = shutil.which("buf", path=str(BIN)) or shutil.which("buf")


def _buf(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert BUF, "buf is not installed (pip install buf-bin; `make setup` does it)"
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}
    return subprocess.run([BUF, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


def test_buf_lint_passes() -> None:
    result = _buf("lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_matches_protos(tmp_path: Path) -> None:
    result = _buf("generate", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    diff = subprocess.run(
        ["diff", "-r", str(ROOT / "gen"), str(tmp_path / "gen")], capture_output=True, text=True, check=False
    )
    assert diff.returncode == 0, f"gen/ is stale; run `make gen`:\n{diff.stdout[:2000]}"


def test_current_protos_are_compatible_with_baseline() -> None:
    result = _buf("breaking", "--against", "proto/baseline.binpb")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def proto_copy(tmp_path: Path) -> Path:
    """A scratch copy of the module, so edits never touch the checkout."""
    for name in ("buf.yaml", "proto"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copy(src, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("optional float temperature = 1;", "optional double temperature = 1;"),  # type change
        ("  // Softmax temperature; 0 means greedy. Must be >= 0.\n  optional float temperature = 1;\n", ""),  # removal
    ],
    ids=["type-change", "removal"],
)
def test_breaking_change_is_detected(proto_copy: Path, old: str, new: str) -> None:
    common = proto_copy / "proto/helixflow/v1/common.proto"
    text = common.read_text()
    assert old in text
    common.write_text(text.replace(old, new))
    result = _buf("breaking", "--against", str(ROOT / "proto/baseline.binpb"), cwd=proto_copy)
    assert result.returncode != 0
    assert "temperature" in result.stdout + result.stderr
