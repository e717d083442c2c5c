"""Dramatiq queue depth, read from the broker when Prometheus scrapes ``/metrics``.

``hrgate_queue_messages{queue, state}``: ``ready`` (waiting for a worker), ``delayed`` (retries waiting for
their backoff, and delayed sends) and ``dead`` (dead-lettered after their last retry), for every queue the
gateway's actors declare. Read at scrape time rather than kept by the workers, so the number is right even
with no worker running (the case an alert most needs to see). Each scrape asks the broker once per queue
with a short timeout; ``hrgate_queue_depth_up`` says whether the broker answered (0: no depth samples).

Redis keeps a queue as a list ``<namespace>:<queue>``, its delay queue as ``<queue>.DQ`` and its dead
letters as the sorted set ``<queue>.XQ`` (Dramatiq's ``dispatch.lua``); RabbitMQ answers a passive
``queue.declare`` with the message count of ``<queue>``, ``<queue>.DQ`` and ``<queue>.XQ`` (messages
delivered to a worker and not yet acknowledged are not counted there, nor here). The in-process broker
of the embedded gateway is read from memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

STATES = ("ready", "delayed", "dead")


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    ready: int
    delayed: int
    dead: int


Reader = Callable[[Iterable[str]], list[QueueDepth]]


def _canonical(queues: Iterable[str]) -> list[str]:
    return sorted({name for name in queues if not name.endswith((".DQ", ".XQ"))})


def stub_reader(broker: StubBroker) -> Reader:
    def read(queues: Iterable[str]) -> list[QueueDepth]:
        depths = []
        for queue in _canonical(queues):
            ready = broker.queues.get(queue)
            delayed = broker.queues.get(dq_name(queue))
            depths.append(
                QueueDepth(
                    queue,
                    ready.qsize() if ready is not None else 0,
                    delayed.qsize() if delayed is not None else 0,
                    len(broker.dead_letters_by_queue.get(queue, ())),
                )
            )
        return depths

    return read


def redis_reader(url: str, namespace: str, timeout_seconds: float) -> Reader:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds)

    def read(queues: Iterable[str]) -> list[QueueDepth]:
        names = _canonical(queues)
        pipeline = client.pipeline(transaction=False)
        for queue in names:
            pipeline.llen(f"{namespace}:{queue}")
            pipeline.llen(f"{namespace}:{dq_name(queue)}")
            pipeline.zcard(f"{namespace}:{xq_name(queue)}")
        counts = pipeline.execute()
        return [QueueDepth(queue, *counts[index * 3 : index * 3 + 3]) for index, queue in enumerate(names)]

    return read


def rabbitmq_reader(url: str, timeout_seconds: float) -> Reader:
    import pika
    from pika.exceptions import ChannelClosedByBroker

    def count(connection: pika.BlockingConnection, name: str) -> int:
        channel = connection.channel()
        try:
            return channel.queue_declare(name, passive=True).method.message_count
        except ChannelClosedByBroker as error:
            if error.reply_code == 404:  # not declared yet: nothing was ever sent to it
                return 0
            raise
        finally:
            if channel.is_open:
                channel.close()

    def read(queues: Iterable[str]) -> list[QueueDepth]:
        parameters = pika.URLParameters(url)
        parameters.socket_timeout = timeout_seconds
        parameters.blocked_connection_timeout = timeout_seconds
        parameters.stack_timeout = timeout_seconds
        parameters.connection_attempts = 1
        connection = pika.BlockingConnection(parameters)
        try:
            return [
                QueueDepth(queue, *(count(connection, name) for name in (queue, dq_name(queue), xq_name(queue))))
                for queue in _canonical(queues)
            ]
        finally:
            connection.close()

    return read


def reader_for(broker: dramatiq.Broker, url: str, timeout_seconds: float) -> Reader:
    """The reader for the gateway's broker (``url``: ``HRGATE_BROKER_URL``; empty for the embedded one)."""
    if isinstance(broker, StubBroker):
        return stub_reader(broker)
    if url.startswith(("redis://", "rediss://")):
        return redis_reader(url, getattr(broker, "namespace", "dramatiq"), timeout_seconds)
    if url.startswith(("amqp://", "amqps://")):
        return rabbitmq_reader(url, timeout_seconds)
    raise ValueError(f"no queue depth reader for {type(broker).__name__}")


class QueueDepthCollector(Collector):
    """Registered once per process; ``queues`` is asked at every scrape (actors may be declared later)."""

    def __init__(self, read: Reader, queues: Callable[[], Iterable[str]]) -> None:
        self.read = read
        self.queues = queues

    def describe(self) -> list:
        return []  # collect() talks to the broker: never at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        messages = GaugeMetricFamily(
            "hrgate_queue_messages",
            "Messages in each Dramatiq queue, read from the broker at scrape time: ready, delayed (retries in "
            "backoff) or dead (dead-lettered).",
            labels=["queue", "state"],
        )
        up = GaugeMetricFamily("hrgate_queue_depth_up", "1 when the broker answered the queue depth read, else 0.")
        try:
            depths = self.read(self.queues())
        except Exception as error:  # a scrape must answer whatever the broker does
            logger.warning("queue depth not read from the broker: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        for depth in depths:
            messages.add_metric([depth.queue, "ready"], depth.ready)
            messages.add_metric([depth.queue, "delayed"], depth.delayed)
            messages.add_metric([depth.queue, "dead"], depth.dead)
        up.add_metric([], 1)
        yield messages
        yield up


_registered: QueueDepthCollector | None = None


def register_queue_depth(broker: dramatiq.Broker, url: str, timeout_seconds: float, registry=None) -> None:  # noqa: ANN001
    """Registers the collector in prometheus-client's registry, once per process (the last app's broker wins)."""
    global _registered
    from prometheus_client import REGISTRY

    collector = QueueDepthCollector(reader_for(broker, url, timeout_seconds), broker.get_declared_queues)
    target = registry if registry is not None else REGISTRY
    if _registered is not None and registry is None:
        target.unregister(_registered)
    target.register(collector)
    if registry is None:
        _registered = collector
