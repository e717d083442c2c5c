# One image for the gateway and the workers (docker-compose.yml picks the command).
# The web pages are built in a Node.js stage (the lockfile decides every package) and copied in.
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /src/schema.graphql
COPY web ./
RUN npm run build

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
COPY --from=web /src/web/dist /app/web/dist
ENV HRGATE_HOST=0.0.0.0 HRGATE_PORT=8000 HRGATE_WEB_DIST_DIR=/app/web/dist
EXPOSE 8000
CMD ["hrgate", "serve"]
