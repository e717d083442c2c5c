# One image for the gateway and the workers (docker-compose.yml picks the command).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY schema schema
COPY resolvers resolvers
COPY workers workers
COPY migrations migrations
# torch first and pinned; point PIP_EXTRA_INDEX_URL at a CPU-only wheel index to keep the image small.
ARG PIP_EXTRA_INDEX_URL=""
RUN pip install --no-cache-dir torch==2.13.0 && pip install --no-cache-dir .
ENV HRGATE_HOST=0.0.0.0 HRGATE_PORT=8000
EXPOSE 8000
CMD ["hrgate", "serve"]
