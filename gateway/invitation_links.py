"""Sealing invitation tokens for the e-mails that carry them.

The database keeps only a token's hash, but the invitation and reminder e-mails are written by a worker,
later, and must contain the link. So the token is kept, encrypted (Fernet: AES-128-CBC + HMAC-SHA256),
beside each queued e-mail until it is sent, and the key lives outside the database
(``HRGATE_INVITATION_LINK_KEY``, or a key file generated once under the data directory): a copy of the
database alone cannot open an interview.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from gateway.settings import Settings

KEY_FILE_NAME = "invitation-link.key"


class LinkKeyError(Exception):
    """A sealed token cannot be opened with the configured key (the key changed, or was never shared)."""


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key


@lru_cache(maxsize=4)
def _fernet(configured_key: str, key_file: Path) -> Fernet:
    return Fernet(configured_key.encode() if configured_key else _load_or_create_key_file(key_file))


def _for(settings: Settings) -> Fernet:
    return _fernet(settings.invitation_link_key, settings.data_dir / KEY_FILE_NAME)


def seal(token: str, *, settings: Settings) -> str:
    return _for(settings).encrypt(token.encode()).decode()


def unseal(sealed: str, *, settings: Settings) -> str:
    try:
        return _for(settings).decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise LinkKeyError(
            "the invitation link cannot be decrypted: HRGATE_INVITATION_LINK_KEY is not the key it was sealed with"
        ) from error
