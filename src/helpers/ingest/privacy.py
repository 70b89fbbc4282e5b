"""Pseudonyms for real data: member and group identities replaced by keyed hashes.

The key is a secret the analyst keeps outside the repository: its value in the
environment variable ``WORKBENCH_HASH_KEY``, or a file named by ``WORKBENCH_HASH_KEY_FILE``
(``python -m helpers keygen PATH`` writes one). There is no default key: without one,
ingestion stops. The same key gives the same pseudonyms across exports, so one person
in two groups, or in two exports of one group, is one member; without the key the
pseudonyms cannot be linked back to names, phone numbers or account ids.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from helpers.ingest.identity import person_key

KEY_VARIABLE = "WORKBENCH_HASH_KEY"


KEY_FILE_VARIABLE = "WORKBENCH_HASH_KEY_FILE"


MIN_KEY_BYTES = 16


PROJECT_ROOT = Path(__file__).resolve().parents[3]


class KeyProblem(Exception):
    """No usable pseudonymisation key."""


def load_key(key_file: str | Path | None = None) -> bytes:
    """The secret key: ``key_file``, else the file in ``$WORKBENCH_HASH_KEY_FILE``, else ``$WORKBENCH_HASH_KEY``."""
    path = key_file or os.environ.get(KEY_FILE_VARIABLE)
    if path:
        path = Path(path).expanduser().resolve()
        if path.is_relative_to(PROJECT_ROOT):
            raise KeyProblem(
                f"key file {path} is inside the project folder; keep it outside the repository "
                f"(e.g. ~/.config/workbench/hash.key)"
            )
        if path.is_dir():
            raise KeyProblem(f"key file {path} is a folder; point at the key file itself")
        if not path.is_file():
            raise KeyProblem(f"key file {path} does not exist (create one: python -m helpers keygen {path})")
        key = path.read_bytes().strip()
    else:
        key = os.environ.get(KEY_VARIABLE, "").strip().encode()
    if not key:
        raise KeyProblem(
            f"no pseudonymisation key: set {KEY_FILE_VARIABLE} to a key file outside the repository "
            f"(python -m helpers keygen ~/.config/workbench/hash.key writes one) or {KEY_VARIABLE} "
            "to a secret value"
        )
    if len(key) < MIN_KEY_BYTES:
        raise KeyProblem(f"the pseudonymisation key is too short ({len(key)} bytes; at least {MIN_KEY_BYTES})")
    return key


def write_key(path: str | Path) -> Path:
    """Write a new random key to ``path`` (readable by its owner only); refuses to overwrite or write in the repo."""
    path = Path(path).expanduser().resolve()
    if path.is_relative_to(PROJECT_ROOT):
        raise KeyProblem(f"{path} is inside the project folder; keep the key outside the repository")
    if path.exists():
        raise KeyProblem(f"{path} exists; a new key would change every pseudonym (delete it first if you mean it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


class Pseudonyms:
    """Keyed hashes of identities: ``member('user123')`` -> ``'m_3f9a...'``, stable for one key."""

    def __init__(self, key: bytes):
        self._key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # keyed once; each hash copies it
        self._message_key = hmac.new(key, b"message ids", hashlib.sha256).digest()
        self._members: dict[str, str] = {}  # a person writes many messages: hash her once

    def _hash(self, namespace: str, value: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(f"{namespace}\x00{value}".encode())
        return keyed.hexdigest()[:20]

    def member(self, identity: str) -> str:
        """Pseudonym of a person, from a platform id (preferred) or, failing that, a display name or phone.

        The identity is first written in its one form (``identity.person_key``), so the
        same person written two ways by one export, or by two, is one member.
        """
        known = self._members.get(identity)
        if known is None:
            known = self._members[identity] = "m_" + self._hash("member", person_key(identity))
        return known

    def group(self, identity: str) -> str:
        """Pseudonym of a group, from the platform's chat id or the export's name."""
        return "g_" + self._hash("group", identity.strip())

    def message(self, group_id: str, identity: str) -> str:
        """A message id unique across groups, revealing nothing of the export.

        Keyed BLAKE2b (its key derived from the secret): a tenth of the cost of an HMAC, which
        counts at millions of messages; like the HMAC it cannot be reversed without the key.
        """
        data = f"{group_id}\x00{identity}".encode()
        return "msg_" + hashlib.blake2b(data, key=self._message_key, digest_size=10).hexdigest()

    def conversion(self, identity: str) -> str:
        """A conversion id from the company's order or redemption id (which could be looked up), hashed."""
        return "cv_" + self._hash("conversion", identity.strip())

    def activity(self, identity: str) -> str:
        """An activity id from the company's own, hashed (participants name the same pseudonym)."""
        return "act_" + self._hash("activity", identity.strip())
