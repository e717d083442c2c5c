"""The Dramatiq broker chosen by settings: in-process (embedded), Redis or RabbitMQ (production).

Imported before any actor is declared, so actors bind to the configured broker.
"""

from __future__ import annotations

import threading
import time

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from gateway.settings import Settings, get_settings


def build_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    if not url:
        broker: dramatiq.Broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        broker = _redis_broker(settings)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"HRGATE_BROKER_URL must start with redis:// or amqp://, got {url!r}")
    broker.add_middleware(CurrentMessage())
    return broker


def _redis_broker(settings: Settings) -> dramatiq.Broker:
    from dramatiq.brokers.redis import RedisBroker

    class TimedMaintenanceRedisBroker(RedisBroker):
        """Dramatiq's Redis broker, whose maintenance (moving a dead worker's unacknowledged jobs back to their
        queue) also runs on a timer, per queue, instead of only by chance.

        Dramatiq runs that maintenance on ``maintenance_chance`` commands in a million, picked at random: with
        the default, an idle worker fetching once a second finds a dead worker's job after about 17 minutes on
        average (measured: 4 to 8 minutes, some runs over 29). Here any command on a queue whose last
        maintenance is ``interval`` seconds old runs it, so a job held by a worker silent for
        ``heartbeat_timeout`` is back in its queue at most ``interval`` later.
        """

        def __init__(self, *, maintenance_interval_seconds: float, **options: object) -> None:
            super().__init__(**options)
            self.maintenance_interval_seconds = maintenance_interval_seconds
            self._maintained_at: dict[str, float] = {}
            self._dispatching = threading.local()

        def _dispatch(self, command: str):  # noqa: ANN202 - Dramatiq's own signature
            dispatch = super()._dispatch(command)

            def dispatch_on(queue_name: str, *args: object) -> object:
                self._dispatching.queue_name = queue_name
                return dispatch(queue_name, *args)

            return dispatch_on

        def _should_do_maintenance(self, command: str) -> int:
            if super()._should_do_maintenance(command):
                return 1
            queue_name = getattr(self._dispatching, "queue_name", None)
            if not self.maintenance_interval_seconds or queue_name is None or command in ("ack", "nack"):
                return 0
            now = time.monotonic()
            if now - self._maintained_at.get(queue_name, float("-inf")) < self.maintenance_interval_seconds:
                return 0
            self._maintained_at[queue_name] = now
            return 1

    return TimedMaintenanceRedisBroker(
        url=settings.broker_url,
        namespace=settings.broker_namespace,
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
        maintenance_interval_seconds=settings.broker_maintenance_interval_seconds,
    )


broker = build_broker(get_settings())
dramatiq.set_broker(broker)


def start_embedded_worker(worker_threads: int = 2) -> dramatiq.Worker:
    """Run the actors inside this process (embedded default: no separate worker to start)."""
    if isinstance(broker, StubBroker):
        broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=worker_threads)
    worker.start()
    return worker
