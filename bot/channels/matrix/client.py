"""The bot's Matrix account: settings checked, logged in once, keys kept on disk.

The first start logs in with `MATRIX_PASSWORD`; the access token and device id it gets
are kept in the database, sealed with BOT_DATA_KEY like family data, and used from then
on, so the password can be removed from the environment. An operator may instead give
`MATRIX_ACCESS_TOKEN` and `MATRIX_DEVICE_ID`. The device's end-to-end keys live in
`MATRIX_STORE_DIR` (matrix-nio's store, on vodozemac), pickled with a random key that is
kept sealed in the database as well: the folder alone opens nothing.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.errors import SettingError, StartupError
from bot.store import matrix as stored

log = logging.getLogger(__name__)

SESSION_KEY = "matrix_session"
"""The `meta` row with the access token and device id (sealed)."""
PICKLE_KEY = "matrix_pickle_key"
"""The `meta` row with the key that encrypts the device's keys on disk (sealed)."""
DEVICE_NAME = "Netwerkcoach"
REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class Login:
    user_id: str
    device_id: str
    access_token: str


def check(settings: Settings) -> None:
    """Refuse at start-up, naming the setting, when Matrix cannot work as configured."""
    if settings.matrix_homeserver is None:
        raise SettingError("MATRIX_HOMESERVER is not set")
    if settings.matrix_user_id is None:
        raise SettingError(
            "MATRIX_HOMESERVER is set but MATRIX_USER_ID is not: set it to the bot's own "
            "account, e.g. @netwerkcoach:gemeente.nl"
        )
    if settings.env == "production" and settings.matrix_homeserver.startswith("http://"):
        # Allowed (a homeserver beside the bot on a private network), but worth a line:
        # the password and token would cross any other network readable.
        log.warning("MATRIX_HOMESERVER is plain http://: use https:// unless it is on this host")
    if (settings.matrix_access_token is None) != (settings.matrix_device_id is None):
        raise SettingError(
            "MATRIX_ACCESS_TOKEN and MATRIX_DEVICE_ID go together: set both or neither"
        )


async def _kept_login(sessions: async_sessionmaker[AsyncSession], user_id: str) -> Login | None:
    raw = await stored.value(sessions, SESSION_KEY)
    if raw is None:
        return None
    kept = json.loads(raw)
    if kept.get("user_id") != user_id:  # the operator changed the account: log in anew
        return None
    return Login(user_id, str(kept["device_id"]), str(kept["access_token"]))


async def _keep_login(sessions: async_sessionmaker[AsyncSession], login: Login) -> None:
    value = {
        "user_id": login.user_id,
        "device_id": login.device_id,
        "access_token": login.access_token,
    }
    await stored.keep(sessions, SESSION_KEY, json.dumps(value))


async def _pickle_key(sessions: async_sessionmaker[AsyncSession]) -> str:
    key = await stored.value(sessions, PICKLE_KEY)
    if key is None:
        key = secrets.token_urlsafe(32)
        await stored.keep(sessions, PICKLE_KEY, key)
    return key


async def open_client(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncClient:
    """A logged-in client whose encryption store is loaded; close it with `close()`."""
    check(settings)
    assert settings.matrix_homeserver is not None and settings.matrix_user_id is not None
    user_id = settings.matrix_user_id
    store_dir = settings.matrix_store_dir
    store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,  # the sync position lives in the database (`sync.py`)
        pickle_key=await _pickle_key(sessions),
        request_timeout=REQUEST_TIMEOUT,
    )
    client = AsyncClient(
        settings.matrix_homeserver, user_id, store_path=str(store_dir), config=config
    )
    try:
        await _log_in(client, settings, sessions, user_id)
    except BaseException:
        await client.close()
        raise
    return client


async def _log_in(
    client: AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    user_id: str,
) -> None:
    if settings.matrix_access_token is not None and settings.matrix_device_id is not None:
        login: Login | None = Login(
            user_id, settings.matrix_device_id, settings.matrix_access_token.get_secret_value()
        )
    else:
        login = await _kept_login(sessions, user_id)
    if login is not None:
        client.restore_login(login.user_id, login.device_id, login.access_token)
        if isinstance(await client.whoami(), WhoamiResponse):
            log.info("matrix: logged in with the kept access token")
            return
        if settings.matrix_password is None:
            raise StartupError(
                "the Matrix access token was refused by MATRIX_HOMESERVER; set MATRIX_PASSWORD "
                "to log in again, or a new MATRIX_ACCESS_TOKEN with its MATRIX_DEVICE_ID"
            )
    if settings.matrix_password is None:
        raise SettingError(
            "MATRIX_PASSWORD is not set: the bot needs it once, for its first login "
            "(or set MATRIX_ACCESS_TOKEN and MATRIX_DEVICE_ID)"
        )
    response = await client.login(
        settings.matrix_password.get_secret_value(), device_name=DEVICE_NAME
    )
    if not isinstance(response, LoginResponse):
        # The server's error code only: its message could echo what was sent.
        raise StartupError(
            f"MATRIX_PASSWORD was refused for {user_id} by MATRIX_HOMESERVER "
            f"({getattr(response, 'status_code', None) or type(response).__name__})"
        )
    await _keep_login(sessions, Login(user_id, response.device_id, response.access_token))
    log.info("matrix: logged in with MATRIX_PASSWORD; the access token is kept, sealed")
