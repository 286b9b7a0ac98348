# syntax=docker/dockerfile:1
# HelixFlow OpenAI-compatible REST bridge. Build from the repository root:
#   docker build -f k8s/docker/bridge.Dockerfile -t helixflow-bridge .
FROM python:3.12-slim-bookworm AS build
RUN python -m venv /opt/helixflow/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gen/python gen/python
COPY services services
RUN /opt/helixflow/venv/bin/pip install --no-cache-dir ".[bridge,otel]"

FROM python:3.12-slim-bookworm
RUN groupadd --system --gid 10001 helixflow \
 && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/helixflow helixflow
COPY --from=build /opt/helixflow/venv /opt/helixflow/venv
ENV PATH=/opt/helixflow/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["helixflow"]
CMD ["bridge"]
