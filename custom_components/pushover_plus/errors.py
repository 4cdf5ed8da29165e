"""Translate Pushover client errors into Home Assistant errors."""

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
import logging
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .pushover import (
    PushoverAuthenticationError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverValidationError,
    RefusalReason,
)

if TYPE_CHECKING:
    from .data import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)

# Refusals of what the entry holds (a new login or token is needed), not of one call.
ENTRY_CREDENTIALS = frozenset({RefusalReason.TOKEN_REJECTED, RefusalReason.SECRET_REJECTED})


def validation_error(err: PushoverValidationError) -> ServiceValidationError:
    """Return the translated error for a locally refused parameter."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=err.reason,
        translation_placeholders={
            "parameter": err.parameter or "",
            "limit": "" if err.limit is None else str(err.limit),
        },
    )


def home_assistant_error(
    hass: HomeAssistant, entry: PushoverConfigEntry, err: PushoverError
) -> HomeAssistantError:
    """Return the Home Assistant error for a failed request; start reauth when needed."""
    if isinstance(err, PushoverValidationError):
        return validation_error(err)
    if isinstance(err, PushoverAuthenticationError) and err.reason in ENTRY_CREDENTIALS:
        entry.async_start_reauth(hass)
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, PushoverQuotaExceededError):
        reset = dt_util.as_local(err.reset).isoformat() if err.reset else "?"
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="quota_exceeded",
            translation_placeholders={"error": str(err), "reset": reset},
        )
    if isinstance(err, PushoverRequestError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_refused",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, PushoverServerError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="server_error",
            translation_placeholders={"error": str(err)},
        )
    _LOGGER.debug("Pushover unreachable: %s", type(err).__name__)
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="cannot_connect")


async def call_api[T](hass: HomeAssistant, entry: PushoverConfigEntry, request: Awaitable[T]) -> T:
    """Await a client call and raise the matching Home Assistant error on failure."""
    try:
        return await request
    except PushoverError as err:
        raise home_assistant_error(hass, entry, err) from err


@contextmanager
def entry_errors(
    failure: type[ConfigEntryNotReady | UpdateFailed], translation_key: str
) -> Iterator[None]:
    """Turn a failed setup check or poll into reauth (rejected credentials) or ``failure``."""
    try:
        yield
    except PushoverAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    except PushoverError as err:
        raise failure(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={"error": str(err)},
        ) from err
