"""A worker in its own process, so a test can SIGKILL it like a crashed pod.

Runs the real worker server over mTLS with the benchmark-only fake engine
(failure injection: the model adds nothing here). Prints its port, then serves
until killed. Usage: worker_proc.py PKI_DIR PORT TOKEN_DELAY_S [MODEL_ID]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from helixflow.common.config import TlsSettings
from helixflow.worker.backends.fake import FakeEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import create_server


async def main(pki: Path, port: int, delay: float, model: str = "fake") -> None:
    tls = TlsSettings(ca_file=pki / "ca.pem", cert_file=pki / "worker.pem", key_file=pki / "worker-key.pem")
    settings = WorkerSettings.model_validate(
        {
            "listen": f"127.0.0.1:{port}",
            "tls": tls,
            "backend": "fake",
            "model_id": model,
            "metrics_port": 0,
            # A warm-up would wait out the token delay before the port is printed (60 s at 30 s a token).
            "warmup": False,
        }
    )
    server, bound = create_server(settings, FakeEngine(model, token_delay_s=delay))
    await server.start()
    print(bound, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:5]))
