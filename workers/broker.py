"""The Dramatiq broker chosen by settings: in-process (embedded), Redis or RabbitMQ (production).

Imported before any actor is declared, so actors bind to the configured broker.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from gateway.settings import Settings, get_settings


def build_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    if not url:
        broker: dramatiq.Broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=url,
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
        )
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"HRGATE_BROKER_URL must start with redis:// or amqp://, got {url!r}")
    broker.add_middleware(CurrentMessage())
    return broker


broker = build_broker(get_settings())
dramatiq.set_broker(broker)


def start_embedded_worker(worker_threads: int = 2) -> dramatiq.Worker:
    """Run the actors inside this process (embedded default: no separate worker to start)."""
    if isinstance(broker, StubBroker):
        broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=worker_threads)
    worker.start()
    return worker
