"""Live-status fan-out: an event is resolved once per distinct subscription selection, and its bytes encoded once.

Every subscriber of an interview on a gateway receives the same decoded message object from the bus
(``gateway.pubsub``). graphql-core would then execute the subscription's selection set on it once per
subscriber and the transport would encode the same answer once per subscriber: with a thousand watchers,
most of the fan-out's CPU. Here:

- a subscription resolver wraps each bus message it yields in ``SharedEvent``, naming what the subscriber may
  see (``visibility``); the resolver itself still runs per subscriber, so the authorization checks before the
  subscription opened stay per subscriber;
- ``SharedEventExecutor`` (the schema's executor) executes the selection for the first subscriber of a
  (message, visibility, document text, operation name, variables) and hands the same ``ExecutionResult`` to the
  others; a result with errors is never shared (errors are masked and logged per subscriber);
- ``shared_data_text`` gives the websocket handler the JSON text of a shared result's ``data``, encoded once.

A message is recognised by identity, and the cache keeps the message alive while it holds an entry, so an
``id()`` is never reused for another message while cached. Events of one selection differ only by their
message, so one entry per message and selection is exact, never stale.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

RESULTS_KEPT = 4096
"""Entries per process: events arrive a few at a time and every local subscriber reads them within milliseconds."""


@dataclass(frozen=True, slots=True)
class SharedEvent:
    """A bus message as a subscription's source event: ``build(message)`` is the root value of its selection."""

    message: dict[str, Any]
    visibility: str
    """Everything the result may depend on besides the message and the operation (e.g. the actor's kind)."""
    build: Callable[[dict[str, Any]], Any]


class _Entry:
    __slots__ = ("data_text", "message", "result")

    def __init__(self, message: dict[str, Any], result: ExecutionResult | asyncio.Future) -> None:
        self.message = message
        self.result = result
        self.data_text: str | None = None


class FanoutCache:
    """Bounded, per process, on the event loop only (no locking)."""

    def __init__(self, size: int = RESULTS_KEPT) -> None:
        self.size = size
        self.results: OrderedDict[tuple, _Entry] = OrderedDict()
        self.by_data: dict[int, _Entry] = {}
        self.executions = 0
        """Selections actually executed (misses); the rest were shared."""
        self.shares = 0

    def get(self, key: tuple, message: dict[str, Any]) -> _Entry | None:
        entry = self.results.get(key)
        return entry if entry is not None and entry.message is message else None

    def put(self, key: tuple, entry: _Entry) -> None:
        self.results[key] = entry
        self.results.move_to_end(key)
        while len(self.results) > self.size:
            _, evicted = self.results.popitem(last=False)
            if isinstance(evicted.result, ExecutionResult):
                self.by_data.pop(id(evicted.result.data), None)

    def settle(self, key: tuple, entry: _Entry, result: ExecutionResult | None) -> None:
        """Records the finished execution; one with errors (or that failed) is forgotten, never shared."""
        if result is None or result.errors:
            if self.results.get(key) is entry:
                del self.results[key]
            return
        entry.result = result
        self.by_data[id(result.data)] = entry

    def settle_future(self, key: tuple, entry: _Entry, future: asyncio.Future) -> None:
        failed = future.cancelled() or future.exception() is not None
        self.settle(key, entry, None if failed else future.result())

    def data_text(self, data: object) -> str | None:
        entry = self.by_data.get(id(data))
        if entry is None or not isinstance(entry.result, ExecutionResult) or entry.result.data is not data:
            return None
        if entry.data_text is None:
            entry.data_text = orjson.dumps(data).decode()
        return entry.data_text


fanout_cache = FanoutCache()


def shared_data_text(data: object) -> str | None:
    """The JSON text of ``data`` when it is a shared subscription result (encoded once for all its subscribers)."""
    return fanout_cache.data_text(data)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor; per-event executions of a ``SharedEvent`` are shared as the module says."""

    selection_key: tuple | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if isinstance(payload, SharedEvent) and self.selection_key is None:
            operation = self.operation
            source = operation.loc.source.body if operation.loc is not None else None
            if source is not None:
                variables = orjson.dumps(self.variable_values.coerced, option=orjson.OPT_SORT_KEYS, default=str)
                self.selection_key = (source, operation.name.value if operation.name else None, variables)
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        if not isinstance(event, SharedEvent):
            return super().execute_operation(serially)
        if self.selection_key is None:  # a document without source text: nothing to key on
            self.root_value = event.build(event.message)
            return super().execute_operation(serially)
        cache = fanout_cache
        key = (id(event.message), event.visibility, self.selection_key)
        entry = cache.get(key, event.message)
        if entry is not None:
            cache.shares += 1
            result = entry.result
            return _await_shared(result) if isinstance(result, asyncio.Future) else result
        cache.executions += 1
        self.root_value = event.build(event.message)
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):
            entry = _Entry(event.message, result)
            cache.put(key, entry)
            cache.settle(key, entry, result)
            return result
        future: asyncio.Future = asyncio.ensure_future(result)
        entry = _Entry(event.message, future)
        cache.put(key, entry)
        future.add_done_callback(lambda done: cache.settle_future(key, entry, done))
        return _await_shared(future)


async def _await_shared(future: asyncio.Future) -> ExecutionResult:
    return await asyncio.shield(future)
