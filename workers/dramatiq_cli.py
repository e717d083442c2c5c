"""Dramatiq's command line, as ``hrgate worker`` runs it (``python -m workers.dramatiq_cli workers.worker_main …``).

With ``HRGATE_LOG_FORMAT=json`` the lines of Dramatiq's main process, its worker processes and its fork
processes (the metrics exposition server) become JSON objects too: Dramatiq configures each process's
logging with its own fixed text format, so each of its three set-up functions is wrapped to put
``gateway.log_format.JsonFormatter`` on the root handlers it has just made. The worker processes are forked
(Dramatiq's default below Python 3.14), so they inherit the wrapped functions. Otherwise this is Dramatiq's
command line unchanged.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import dramatiq.cli as dramatiq_cli

from gateway.log_format import JsonFormatter, install_json_formatter
from gateway.settings import get_settings

LOGGING_SETUPS = ("setup_parent_logging", "setup_worker_logging", "setup_fork_logging")


def _formatting_json(setup: Callable[..., Any]) -> Callable[..., Any]:
    def setup_json(*args: Any, **kwargs: Any) -> Any:
        logger = setup(*args, **kwargs)
        install_json_formatter(logging.getLogger(), JsonFormatter())
        return logger

    return setup_json


def main() -> int:
    if get_settings().log_format == "json":
        for name in LOGGING_SETUPS:
            setattr(dramatiq_cli, name, _formatting_json(getattr(dramatiq_cli, name)))
    return dramatiq_cli.main()


if __name__ == "__main__":
    sys.exit(main())
