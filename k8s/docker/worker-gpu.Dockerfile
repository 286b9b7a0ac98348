# syntax=docker/dockerfile:1
# HelixFlow worker, vLLM on NVIDIA GPUs. The runtime stage is the vLLM image
# (CUDA, PyTorch and vLLM already installed); we add only the helixflow wheel.
# Build from the repository root:
#   docker build -f k8s/docker/worker-gpu.Dockerfile -t helixflow-worker-gpu .
FROM python:3.12-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gen/python gen/python
COPY services services
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# Keep this tag inside pyproject's vllm extra (tests/k8s checks): the backend uses vLLM 0.32 APIs.
FROM vllm/vllm-openai:v0.32.0
COPY --from=build /wheels /wheels
# vLLM comes from the base image; pip adds only what helixflow needs besides it.
RUN python3 -m pip install --no-cache-dir /wheels/*.whl \
 && rm -rf /wheels \
 && groupadd --system --gid 10001 helixflow \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/helixflow helixflow
ENV PYTHONUNBUFFERED=1 \
    HELIXFLOW_WORKER_BACKEND=vllm \
    HOME=/home/helixflow
USER 10001:10001
EXPOSE 50061 50062 9091
ENTRYPOINT ["helixflow"]
CMD ["worker"]
