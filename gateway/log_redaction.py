"""Keep candidates' credentials and query literals out of the logs.

A candidate's invitation token is their password, and it travels in the path of the upload
route (``PUT /interview/<token>/answers/<id>``), which uvicorn's access log writes as it is; a
GraphQL error logged by strawberry prints the whole query around the error, with any token or
personal data written in it as a literal. These filters rewrite such records before any handler
formats them: the token path segment becomes ``[redacted]``, a GraphQL error is logged as its
message, path and location (no source excerpt), and string literals and token-like words in
GraphQL error messages are replaced.

The filters sit on the loggers (not on handlers), so they apply however logging is configured:
``hrgate serve``, another ASGI server, or a test.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

REDACTED = "[redacted]"
_INVITATION_PATH = re.compile(r"(/interview/)[^/?#\s\"']+")
_STRING_LITERAL = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"')
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-.~+/=]{20,}")

ACCESS_LOGGERS = ("uvicorn.access", "uvicorn.error")
GRAPHQL_ERROR_LOGGERS = ("strawberry.execution", "hrgate.graphql")


def redact_path(text: str) -> str:
    """``/interview/<token>/…`` → ``/interview/[redacted]/…``."""
    return _INVITATION_PATH.sub(rf"\g<1>{REDACTED}", text)


def redact_literals(text: str) -> str:
    """String literals, then words that look like tokens (long, with letters and digits), replaced."""
    text = _STRING_LITERAL.sub(f'"{REDACTED}"', redact_path(text))
    return _TOKEN_LIKE.sub(_redact_token_like, text)


def _redact_token_like(match: re.Match[str]) -> str:
    word = match.group(0)
    has_letter = any(character.isalpha() for character in word)
    has_digit = any(character.isdigit() for character in word)
    return REDACTED if has_letter and has_digit else word


def graphql_error_summary(error: GraphQLError) -> str:
    """The error's message, path and locations: what is needed to find it, without the query text."""
    parts = [redact_literals(error.message)]
    if error.path:
        parts.append("at " + ".".join(str(part) for part in error.path))
    if error.locations:
        parts.append("(" + ", ".join(f"line {loc.line}:{loc.column}" for loc in error.locations) + ")")
    return " ".join(parts)


class RedactInvitationTokens(logging.Filter):
    """Rewrites the arguments in place: uvicorn's access formatter unpacks them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


class RedactGraphQLErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, GraphQLError):
            record.msg = graphql_error_summary(record.msg)
        elif isinstance(record.msg, str):
            record.msg = redact_literals(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                graphql_error_summary(arg)
                if isinstance(arg, GraphQLError)
                else redact_literals(arg)
                if isinstance(arg, str)
                else arg
                for arg in record.args
            )
        return True


def install_log_redaction() -> None:
    """Attach the filters to their loggers (once, however often the app is created)."""
    for names, filter_type in ((ACCESS_LOGGERS, RedactInvitationTokens), (GRAPHQL_ERROR_LOGGERS, RedactGraphQLErrors)):
        for name in names:
            logger = logging.getLogger(name)
            if not any(isinstance(existing, filter_type) for existing in logger.filters):
                logger.addFilter(filter_type())
