"""Signed callback data: a button can only be pressed by the practitioner it was made for.

Telegram sends callback data back verbatim, and a client can forge any bytes. The data
carries no meaning without the signature, which binds it to the practitioner and to the
installation's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from bot.errors import ArgumentError

SIG_LEN = 8
MAX_DATA = 64  # Telegram's limit for callback_data, in bytes


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _sig(self, owner: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{owner}|{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:6]).decode()

    def sign(self, owner: str, payload: str) -> str:
        data = f"{payload}|{self._sig(owner, payload)}"
        if len(data.encode()) > MAX_DATA:
            raise ArgumentError("callback data over 64 bytes")
        return data

    def verify(self, owner: str, data: str) -> str | None:
        """The payload, or None when the data was not made for `owner`."""
        payload, sep, sig = data.rpartition("|")
        if not sep or len(sig) != SIG_LEN:
            return None
        return payload if hmac.compare_digest(sig, self._sig(owner, payload)) else None
