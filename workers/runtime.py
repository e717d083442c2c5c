"""An event loop per worker thread, kept for the thread's life.

Actors are synchronous; the domain services are async. Running every job on the
same loop of its thread keeps that loop's database pool warm between jobs (pooled
async connections cannot move between loops, so ``asyncio.run`` per job would
open and close a pool every time).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

Result = TypeVar("Result")
_local = threading.local()


def run_in_thread_loop(coroutine: Coroutine[Any, Any, Result]) -> Result:
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coroutine)
