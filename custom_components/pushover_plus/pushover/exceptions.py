"""Errors raised by the Pushover client."""

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from .models import Limits


__all__ = [
    "PushoverAuthenticationError",
    "PushoverConnectionError",
    "PushoverError",
    "PushoverQuotaExceededError",
    "PushoverRequestError",
    "PushoverServerError",
    "PushoverTimeoutError",
    "PushoverTwoFactorRequiredError",
    "PushoverUnexpectedResponseError",
    "PushoverValidationError",
    "RefusalReason",
]


class PushoverError(Exception):
    """Base class of every error raised by this client."""


class PushoverConnectionError(PushoverError):
    """Pushover could not be reached or did not answer (refused, reset, DNS, TLS, timeout).

    ``request_sent`` is True when the request may have reached Pushover (the connection
    was lost, or the time ran out, after it was written): a send may then have been
    delivered although no answer came.
    """

    def __init__(self, message: str, *, request_sent: bool = False) -> None:
        """Keep whether the request may have reached Pushover."""
        super().__init__(message)
        self.request_sent = request_sent


class PushoverTimeoutError(PushoverConnectionError):
    """Pushover did not answer within the timeout."""


class PushoverServerError(PushoverError):
    """Pushover answered 5xx (or an unexpected code) after the allowed retries."""

    def __init__(self, message: str, *, status: int, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id


class RefusalReason(StrEnum):
    """Why Pushover refused a request, classified from its answer once, here."""

    QUOTA_EXCEEDED = "quota_exceeded"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    TOKEN_REJECTED = "token_rejected"  # noqa: S105 (a reason, not a token)
    SECRET_REJECTED = "secret_rejected"  # noqa: S105 (a reason, not a secret)
    NO_ACTIVE_DEVICES = "no_active_devices"
    NAME_TAKEN = "name_taken"
    USER_INVALID = "user_invalid"
    DEVICE_INVALID = "device_invalid"
    OTHER = "other"


def refusal_reason(
    status: int, errors: Sequence[str], parameters: Mapping[str, str]
) -> RefusalReason:
    """Classify a refusal by its status and verdicts, and by its wording where only that tells.

    The first that applies: 429, 412, ``"token": "invalid"``, the session secret named
    anywhere (no wording of an expired secret is known), "no active devices" (may come
    without a ``user`` verdict), a ``name`` "already taken" (devices.json), a verdict on
    ``user``, then on ``device``.
    """
    if status == 429:
        return RefusalReason.QUOTA_EXCEEDED
    if status == 412:
        return RefusalReason.TWO_FACTOR_REQUIRED
    if parameters.get("token") == "invalid":
        return RefusalReason.TOKEN_REJECTED
    if any("secret" in text.lower() for text in [*errors, *parameters]):
        return RefusalReason.SECRET_REJECTED
    if any("no active devices" in text.lower() for text in [*errors, *parameters.values()]):
        return RefusalReason.NO_ACTIVE_DEVICES
    if "taken" in parameters.get("name", "").lower():
        return RefusalReason.NAME_TAKEN
    if "user" in parameters:
        return RefusalReason.USER_INVALID
    if "device" in parameters:
        return RefusalReason.DEVICE_INVALID
    return RefusalReason.OTHER


class PushoverRequestError(PushoverError):
    """Pushover refused the request (HTTP 4xx, status 0).

    ``reason`` classifies the refusal (callers decide by it, never by the texts);
    ``errors`` holds Pushover's own texts; ``parameters`` the per-parameter verdicts
    (e.g. ``{"user": "invalid"}``); ``parameter`` the first parameter the refusal names
    (None when it names none); ``str(err)`` is the errors joined with "; ".
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: Sequence[str] = (),
        parameters: dict[str, str] | None = None,
        parameter: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = list(errors)
        self.parameters = dict(parameters or {})
        self.parameter = parameter if parameter is not None else next(iter(self.parameters), None)
        self.request_id = request_id
        self.reason = refusal_reason(status, self.errors, self.parameters)


class PushoverAuthenticationError(PushoverRequestError):
    """The app token, team token, user key or Open Client secret was rejected.

    ``parameter`` names which one: "token", "user" or "secret".
    """

    def __init__(self, message: str, *, parameter: str, **kwargs: Any) -> None:
        """Keep which credential was rejected."""
        super().__init__(message, parameter=parameter, **kwargs)
        self.parameter: str = parameter


class PushoverUnexpectedResponseError(PushoverRequestError):
    """A 4xx answer that is not Pushover's JSON (an HTML page of a proxy or captive portal).

    Not a verdict on the request: something between Home Assistant and Pushover answered.
    """


class PushoverValidationError(PushoverError):
    """A parameter breaks a documented limit.

    Raised locally before any request is made; a refusal by Pushover is a
    PushoverRequestError instead. ``reason`` is machine readable (e.g.
    "message_too_long"), ``parameter`` the offending parameter, ``limit`` the limit
    when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        parameter: str | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.parameter = parameter
        self.limit = limit


class PushoverQuotaExceededError(PushoverRequestError):
    """HTTP 429: the monthly message quota is used up until ``reset`` (UTC, when known)."""

    def __init__(
        self,
        message: str,
        *,
        limits: Limits | None,
        reset: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        """Keep the quota and the reset time seen in the refusal."""
        super().__init__(message, **kwargs)
        self.limits = limits
        self.reset: datetime | None = reset or (limits.reset if limits else None)


class PushoverTwoFactorRequiredError(PushoverRequestError):
    """HTTP 412 on login: call login again with the ``twofa`` code."""
