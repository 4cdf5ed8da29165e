"""Async client for the Pushover API, free of Home Assistant."""

from . import client, exceptions, models, open_client, transport, validation
from .client import *  # noqa: F403
from .exceptions import *  # noqa: F403
from .models import *  # noqa: F403
from .open_client import *  # noqa: F403
from .transport import *  # noqa: F403
from .validation import *  # noqa: F403

__all__ = (
    client.__all__
    + exceptions.__all__
    + models.__all__
    + open_client.__all__
    + transport.__all__
    + validation.__all__
)
