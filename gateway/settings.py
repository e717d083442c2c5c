"""Deployment settings, read from ``HRGATE_*`` environment variables.

With nothing set, hrgate runs embedded: a SQLite file, an in-process Dramatiq
worker and in-process pub/sub. Production sets the database, broker and pub/sub URLs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ASYNC_DATABASE_DRIVERS = {
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite": "sqlite+aiosqlite",
}
"""The URL schemes accepted in ``HRGATE_DATABASE_URL`` and the async driver each one means."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HRGATE_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )  # a refused value is never echoed: URLs carry passwords

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    """SQLAlchemy async URL; empty means ``sqlite+aiosqlite:///<data_dir>/hrgate.db``. ``postgresql://`` and
    ``postgres://`` are read as ``postgresql+asyncpg://``, ``sqlite://`` as ``sqlite+aiosqlite://``."""
    broker_url: str = ""
    """``redis://`` or ``amqp://``; empty means an in-process worker inside the gateway."""
    pubsub_url: str = ""
    """``redis://`` to share subscription events between gateway replicas; empty means in-process."""
    pubsub_prefix: str = Field(default="hrgate:", min_length=1, max_length=100, pattern=r"^\S+$")
    """Prefix of the Redis channel names: give each deployment sharing one Redis server its own (``acme-prod:``),
    or each sees the other's events. Every gateway and worker of one deployment must use the same."""
    media_dir: Path | None = None
    """The local media folder (when ``media_url`` is empty); empty means ``<data_dir>/media``."""
    media_url: str = ""
    """``s3://bucket/prefix``: recordings in S3-compatible object storage (AWS S3, MinIO, Ceph…); empty means the
    local folder ``media_dir``. Endpoint, region and credentials: the ``s3_*`` settings."""
    s3_endpoint_url: str = ""
    """The object store's URL (``http://minio:9000``); empty means AWS S3 in ``s3_region``."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    """With ``s3_secret_access_key``; both empty means boto3's own chain (environment, profile, instance role)."""
    s3_secret_access_key: str = ""
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    """``path`` (``endpoint/bucket/key``) suits MinIO and most self-hosted stores; AWS accepts both."""
    s3_part_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024, le=5 * 1024 * 1024 * 1024)
    """Multipart upload part size (S3's minimum is 5 MiB); one part is in memory at a time."""
    s3_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=60.0, gt=0)
    s3_max_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts per S3 request (botocore's standard retries) before the store is reported unavailable."""
    upload_spool_dir: Path | None = None
    """Where uploads are validated before the media store sees them (``.upload-*`` files, one per upload in
    progress, at most ``max_upload_bytes`` each); empty means ``<data_dir>/uploads``."""
    upload_partial_max_age_seconds: int = Field(default=3600, ge=60)
    """Unfinished uploads (spool files, a local store's temporaries, S3 multipart uploads) older than this
    are removed by the periodic sweep; they belong to a gateway that was killed mid-upload."""
    upload_sweep_interval_seconds: int = Field(default=900, ge=10)
    """How often each gateway sweeps unfinished uploads (also at start-up, and ``hrgate media-sweep``)."""
    shutdown_grace_seconds: int = Field(default=20, ge=1)
    """On SIGTERM, requests still running after this long (a slow upload) are cancelled, so the gateway
    removes their partial files and stops before an orchestrator's SIGKILL (Kubernetes: 30 s)."""
    web_dist_dir: Path | None = None
    """The built web pages (``npm run build`` in ``web/``); empty means this checkout's ``web/dist``."""
    public_base_url: str = "http://localhost:8000"
    invitation_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    max_upload_bytes: int = 200 * 1024 * 1024
    rate_limit_per_minute: int = 600
    """Requests per principal (verified token subject, invitation token, or client address) per minute."""
    rate_limit_url: str = ""
    """``redis://`` holding the rate-limit counters shared by gateway replicas; empty means ``pubsub_url``
    when that is Redis, else counters in the gateway process."""
    rate_limit_key_prefix: str = "hrgate:limits:"
    websocket_operations_per_minute: int = Field(default=120, ge=1)
    """Operations one websocket may start per minute (queries, mutations and subscriptions)."""
    websocket_connections_per_address: int = Field(default=20, ge=1)
    """Open websockets per client address (across replicas when the counters are in Redis)."""
    oauth_client_failures_before_lockout: int = Field(default=5, ge=1)
    """Wrong secrets for one client_id before ``/oauth/token`` locks it (1 s, doubling, up to the maximum)."""
    oauth_address_failures_before_lockout: int = Field(default=20, ge=1)
    """Refused client credentials from one address before the address is locked the same way."""
    oauth_lockout_max_seconds: int = Field(default=900, ge=1)
    idp_service_tokens: bool = False
    """Treat the identity provider's tokens without ``roles`` as connectors (their ``scope`` honoured).
    Off: such tokens are refused; connectors get their tokens from hrgate's own ``/oauth/token``."""
    vision_enabled: bool = True
    """Face and posture analysis (still only for candidates who gave biometric consent)."""
    broker_heartbeat_timeout_ms: int = Field(default=30_000, ge=1_000)
    """Redis broker: a worker silent this long is presumed dead and its jobs are redelivered. Every worker
    process beats on each broker command (each idle consumer fetches about once a second), so 30 s leaves
    room for a busy machine; Dramatiq's own default is 60 s."""
    broker_maintenance_chance: int = Field(default=1_000, ge=0, le=1_000_000)
    """Redis broker: how many broker commands in a million also run the maintenance that redelivers
    dead workers' jobs (Dramatiq's default, 1,000). On its own it means minutes before a killed worker's job
    resumes; ``broker_maintenance_interval_seconds`` is what bounds the delay."""
    broker_maintenance_interval_seconds: float = Field(default=5.0, ge=0)
    """Redis broker: each process also runs that maintenance on every queue at least this often (0: only by
    chance). With the 30 s heartbeat a SIGKILLed worker's job is back in its queue within about 35 s."""
    broker_namespace: str = Field(default="dramatiq", min_length=1, max_length=64)
    """Redis broker: the prefix of every key Dramatiq writes (two deployments sharing a Redis server need two)."""
    scoring_sweep_seconds: float = Field(default=60.0, gt=0)
    """How often the embedded gateway looks for interviews whose scoring job was lost (production: cron runs
    ``hrgate scoring-sweep``)."""
    scoring_queued_deadline_seconds: int = Field(default=900, ge=1)
    """An interview QUEUED this long without a worker claiming it has lost its job (a broker restarted, a submit
    during a broker outage): the sweep sends its job again. Above the longest backlog you expect, or the
    queue holds a second message per interview (harmless: the claim lets only one report through)."""
    scoring_scoring_deadline_seconds: int = Field(default=1_800, ge=1)
    """An interview SCORING this long has lost its worker for good (the job's time limit is 20 minutes): the
    sweep queues it again, which also stops a worker still on it at its next step."""
    scoring_sweep_max_requeues: int = Field(default=3, ge=0)
    """How often the sweep queues one interview again before it marks it FAILED (re-scorable by HR)."""
    page_size_max: int = 100
    compiled_reads: bool = True
    """Answer read queries with one SQL statement (the read compiler); off: the DataLoader path only."""
    jwt_issuer: str = ""
    """Expected ``iss`` of bearer tokens; empty means hrgate's own issuer (``public_base_url``)."""
    jwt_audience: str = "hrgate"
    """Expected ``aud`` of bearer tokens (hrgate's own tokens carry it too)."""
    jwks_path: Path | None = None
    """A JWKS file with the identity provider's public keys (production: an external IdP)."""
    jwks_url: str = ""
    """The identity provider's JWKS URL; cached, and fetched again when a token names an unknown ``kid``."""
    jwks_cache_seconds: int = Field(default=3600, ge=0)
    jwks_refetch_min_seconds: float = Field(default=10.0, ge=0)
    """At most one refetch per this many seconds for unknown ``kid`` values (a flood of bad tokens)."""
    oauth_clients_path: Path | None = None
    """Registered ERP connector clients (JSON); empty means ``<data_dir>/oauth-clients.json``."""
    oauth_signing_key_path: Path | None = None
    """Private JWK the embedded token endpoint signs with; generated (ES256) under ``data_dir`` if missing."""
    oauth_token_ttl_seconds: int = Field(default=3600, ge=60, le=24 * 3600)
    host: str = "127.0.0.1"
    port: int = 8000
    retention_days: int = Field(default=730, ge=1)
    """Candidates not hired and without application activity for this many days are erased (PIPL art. 19, 47)."""
    analytics_min_group_size: int = Field(default=5, ge=1)
    """Score statistics (means, quartiles, minima, histogram bins) over fewer candidates than this are withheld:
    null with ``enoughData: false`` and a ``note``, and the histogram chart draws no bars."""
    persisted_queries_url: str = ""
    """``redis://`` where automatic persisted queries are kept for every replica; empty means in-process only."""
    persisted_queries_key_prefix: str = "hrgate:apq:"
    persisted_queries_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    """A registered document expires from Redis this long after it was last registered."""
    persisted_queries_cache_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    """In-process persisted documents (LRU, by total size; in front of Redis when it is set)."""
    trusted_documents: Path | None = None
    """JSON manifest of document id → document (codegen ``persistedDocuments``, Relay, Apollo manifest): when
    set, only these documents run and free-form ones are refused (``PERSISTED_QUERY_REQUIRED``)."""
    metrics_enabled: bool = True
    """Prometheus metrics at ``/metrics`` (request latency and errors by operation, status classes, scoring
    outcomes, process). Off: no route (404) and no request timing."""
    metrics_token: str = ""
    """When set, ``/metrics`` answers only ``Authorization: Bearer <token>``; empty: anyone who reaches it
    (scrape it on an internal network)."""
    queue_depth_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
    """``/metrics`` reads the Dramatiq queue lengths from the broker at scrape time, waiting at most this long
    (a broker that does not answer gives ``hrgate_queue_depth_up 0``, never a slow scrape)."""
    worker_metrics_port: int = Field(default=9191, ge=0, le=65535)
    """``hrgate worker`` serves its Prometheus metrics (scoring stages and outcomes, Dramatiq messages) here;
    0: no worker metrics."""
    worker_metrics_host: str = "127.0.0.1"
    """Where the worker's metrics server listens: ``0.0.0.0`` when Prometheus scrapes from another machine."""
    worker_metrics_dir: Path | None = None
    """prometheus-client's multiprocess folder for the worker processes (emptied when ``hrgate worker``
    starts); empty: a fresh temporary folder."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per line (time, level, logger, message, request id, operation, exception)."""
    otel_endpoint: str = ""
    """OTLP/HTTP collector (``http://collector:4318``) for OpenTelemetry traces; empty: the standard
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; none set: tracing off, nothing
    imported. Needs the ``otel`` extra."""
    otel_service_name: str = "hrgate"
    """``service.name`` of the spans (``hrgate-worker`` is used for worker processes when this is the default)."""
    smtp_url: str = ""
    """Where invitation and reminder e-mails go: ``smtp://user:password@host:587?starttls=true``,
    ``smtps://user:password@host:465`` (TLS from the first byte) or ``smtp://host:25``. Empty: each message is
    written as an ``.eml`` file to ``mail_outbox_dir`` instead (nothing is lost, a newcomer can open it)."""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """Connect and per-command timeout; a timeout is a transient failure, retried with backoff."""
    mail_from: str = "hrgate <no-reply@localhost>"
    """The sender (``From``) of candidate e-mails, e.g. ``招聘 Recruiting <recruiting@bank.example>``."""
    mail_outbox_dir: Path | None = None
    """The outbox folder of the embedded default; empty means ``<data_dir>/outbox``."""
    invitation_link_key: str = ""
    """Fernet key sealing each invitation token until its e-mails are sent (the database alone cannot open an
    interview). Empty: generated once under ``<data_dir>/invitation-link.key``; replicas and workers that do not
    share the data directory must share this key."""
    reminder_hours_before_expiry: int = Field(default=24, ge=1, le=24 * 29)
    """A reminder goes out this long before an unsubmitted invitation expires."""
    notification_sweep_seconds: float = Field(default=300.0, gt=0)
    """How often the embedded gateway looks for due reminders and unsent messages (production: cron)."""

    outbox_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    """How often the gateway enqueues ``outbox_sweep``, which re-sends events and webhook deliveries a crash
    left behind (sweeps are idempotent: several replicas sending them is harmless)."""
    outbox_sweep_grace_seconds: float = Field(default=30.0, ge=0)
    """An undispatched event, or a delivery overdue by this long, is the sweeper's (younger ones are still
    on their way through the broker)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """One delivery attempt: connect, send and read the answer within this; slower counts as a failure."""
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    """The first retry's delay; each next one is 4 times longer (capped), with up to 10 % jitter."""
    webhook_retry_max_delay_seconds: float = Field(default=12 * 3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=3 * 24 * 3600.0, gt=0)
    """No attempt is made this long after the delivery was created: the delivery is failed instead."""
    webhook_disable_after_failures: int = Field(default=50, ge=1)
    """Failed attempts in a row (over all deliveries) after which an endpoint is disabled and HR told."""
    webhook_allow_private_addresses: bool | None = None
    """Deliver to loopback, private, link-local and reserved addresses; unset: allowed in development,
    refused in production (server-side request forgery into the bank's network)."""

    @field_validator("database_url")
    @classmethod
    def _async_database_driver(cls, url: str) -> str:
        """The gateway speaks to databases through asyncpg or aiosqlite only: a plain ``postgresql://`` (what
        PostgreSQL's own tools and most hosting panels print) gets the async driver; another driver is refused
        here, in one line, rather than by a traceback from deep inside the first connection."""
        if not url:
            return url
        scheme, separator, rest = url.partition("://")
        if not separator:
            raise ValueError("HRGATE_DATABASE_URL must look like postgresql+asyncpg://user:password@host:5432/name")
        driver = ASYNC_DATABASE_DRIVERS.get(scheme.lower())
        if driver is None:
            raise ValueError(
                f"HRGATE_DATABASE_URL scheme {scheme!r} is not supported: use postgresql+asyncpg:// (or postgresql://)"
                " or sqlite+aiosqlite:///path"
            )
        return f"{driver}://{rest}"

    @field_validator("media_url")
    @classmethod
    def _s3_media_url(cls, url: str) -> str:
        """Only S3-compatible object storage is chosen by URL; a local folder is ``HRGATE_MEDIA_DIR``."""
        if not url:
            return url
        scheme, separator, rest = url.partition("://")
        bucket = rest.split("/", 1)[0]
        if scheme.lower() != "s3" or not separator or not bucket:
            raise ValueError("HRGATE_MEDIA_URL must look like s3://bucket/prefix (a local folder: HRGATE_MEDIA_DIR)")
        return f"s3://{rest.rstrip('/')}"

    @property
    def media_bucket(self) -> str:
        return self.media_url.removeprefix("s3://").split("/", 1)[0]

    @property
    def media_key_prefix(self) -> str:
        """The key prefix inside the bucket, without slashes at either end ('' for the bucket's root)."""
        parts = self.media_url.removeprefix("s3://").split("/", 1)
        return parts[1].strip("/") if len(parts) == 2 else ""

    @property
    def resolved_upload_spool_dir(self) -> Path:
        return self.upload_spool_dir or self.data_dir / "uploads"

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, url: str) -> str:
        """Refused at start, in one line, rather than by every e-mail job (the value is never echoed: it may
        carry a password)."""
        if not url:
            return url
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("HRGATE_SMTP_URL must look like smtp://user:password@host:587?starttls=true or smtps://…")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("HRGATE_SMTP_URL has a port that is not a number") from None
        return url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hrgate.db').as_posix()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def resolved_mail_outbox_dir(self) -> Path:
        return self.mail_outbox_dir or self.data_dir / "outbox"

    @property
    def resolved_jwt_issuer(self) -> str:
        return self.jwt_issuer or self.public_base_url.rstrip("/")

    @property
    def resolved_oauth_clients_path(self) -> Path:
        return self.oauth_clients_path or self.data_dir / "oauth-clients.json"

    @property
    def resolved_oauth_signing_key_path(self) -> Path:
        return self.oauth_signing_key_path or self.data_dir / "oauth-signing-key.json"

    @property
    def resolved_rate_limit_url(self) -> str:
        if self.rate_limit_url:
            return self.rate_limit_url
        return self.pubsub_url if self.pubsub_url.startswith(("redis://", "rediss://", "unix://")) else ""

    @property
    def embedded_worker(self) -> bool:
        return not self.broker_url

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def resolved_webhook_allow_private_addresses(self) -> bool:
        if self.webhook_allow_private_addresses is not None:
            return self.webhook_allow_private_addresses
        return not self.is_production


@lru_cache
def get_settings() -> Settings:
    return Settings()
