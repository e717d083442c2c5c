"""Running a mutation as one unit of work and reporting expected failures as payload errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError

from gateway.db import UnitOfWork, unit_of_work
from resolvers.errors import DomainError, FieldError
from resolvers.errors import ErrorCode as DomainErrorCode
from schema.enums import ErrorCode

Result = TypeVar("Result")
logger = logging.getLogger(__name__)


@strawberry.type(description="Why an input was refused: the input field (dotted path), a message, and a code.")
class UserError:
    field: str | None
    message: str
    code: ErrorCode

    @classmethod
    def from_field_error(cls, error: FieldError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


async def run_mutation(
    operation: Callable[[UnitOfWork], Awaitable[Result]],
    *,
    retry_on_conflict: bool = False,
) -> tuple[Result | None, list[UserError]]:
    """Run ``operation`` in one transaction: all of it is written, or nothing and the errors are returned.

    ``retry_on_conflict``: when a concurrent transaction committed conflicting rows first, run ``operation``
    once more in a new transaction that sees them (an idempotent import then replays the winner's result).
    """
    try:
        async with unit_of_work() as uow:
            result = await operation(uow)
    except DomainError as error:
        return None, [UserError.from_field_error(field_error) for field_error in error.errors]
    except IntegrityError:
        if retry_on_conflict:
            logger.info("mutation met a concurrent write; running it again", exc_info=True)
            return await run_mutation(operation)
        logger.info("mutation refused by a database constraint", exc_info=True)
        return None, [
            UserError(
                field=None,
                message="conflicts with data written concurrently; retry",
                code=DomainErrorCode.ALREADY_EXISTS,
            )
        ]
    return result, []
