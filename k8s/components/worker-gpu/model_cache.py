"""Fill and read the shared model cache (mounted into the download Job and the workers).

    python3 model_cache.py download   # the Job: fetch HF_MODEL_REPO at HF_MODEL_REVISION
    python3 model_cache.py wait       # a worker's init container: wait, then link the snapshot

The cache is Hugging Face's own layout (HF_HUB_CACHE, on the ReadWriteMany volume), so a
catalog that resolves hf:// references with huggingface_hub finds the same files offline.
The revision must be a 40-hex commit: a branch name would let two workers load different
weights. `download` writes a marker after the snapshot is complete; `wait` links
HELIXFLOW_MODEL_LINK to that snapshot, so a worker never loads a half-written folder.
The HF token, if the model needs one, comes from the environment (HF_TOKEN, from a Secret).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

COMMIT = re.compile(r"[0-9a-f]{40}")


def _settings() -> tuple[str, str, Path]:
    repo = os.environ["HF_MODEL_REPO"]
    revision = os.environ["HF_MODEL_REVISION"]
    if not COMMIT.fullmatch(revision):
        raise SystemExit(f"HF_MODEL_REVISION must be a 40-hex commit of {repo}, not {revision!r}")
    return repo, revision, Path(os.environ["HF_HUB_CACHE"])


def marker(cache: Path, repo: str, revision: str) -> Path:
    """Where `download` records the finished snapshot's path."""
    return cache / ".helixflow-ready" / repo.replace("/", "--") / revision


def download() -> Path:
    from huggingface_hub import snapshot_download

    repo, revision, cache = _settings()
    print(f"downloading {repo}@{revision} into {cache}", flush=True)
    path = Path(snapshot_download(repo, revision=revision, cache_dir=cache, token=os.environ.get("HF_TOKEN") or None))
    done = marker(cache, repo, revision)
    done.parent.mkdir(parents=True, exist_ok=True)
    done.write_text(str(path))
    print(f"ready: {path}", flush=True)
    return path


def wait(poll_s: float = 10.0) -> Path:
    repo, revision, cache = _settings()
    link = Path(os.environ["HELIXFLOW_MODEL_LINK"])
    done = marker(cache, repo, revision)
    while not done.is_file():
        print(f"waiting for {repo}@{revision} (Job helixflow-model-download fills {cache})", flush=True)
        time.sleep(poll_s)
    path = Path(done.read_text().strip())
    if not path.is_dir():
        raise SystemExit(f"{done} names {path}, which is not a folder: re-run the download Job")
    link.unlink(missing_ok=True)
    link.symlink_to(path, target_is_directory=True)
    print(f"model {repo}@{revision}: {link} -> {path}", flush=True)
    return path


if __name__ == "__main__":
    {"download": download, "wait": wait}[sys.argv[1]]()
