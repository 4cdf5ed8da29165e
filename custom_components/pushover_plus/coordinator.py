"""Data update coordinators: every entity of Pushover Plus reads one of these.

Polled: the quota, the delivery groups and the license credits of a sender. Pushed (fed
by the integration itself, never polled): the receiver's connection and last message,
and the outbox, receipts and guard figures of a sender.
"""

from abc import abstractmethod
from datetime import timedelta
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    GROUPS_IDLE_UPDATE_INTERVAL,
    GROUPS_UPDATE_INTERVAL,
    ISSUE_QUOTA_EXHAUSTED,
    LICENSE_UPDATE_INTERVAL,
    QUOTA_UPDATE_INTERVAL,
)
from .errors import entry_errors
from .issues import async_clear_issue, async_raise_issue
from .pushover import GroupInfo, Limits, PushoverClient, ReceivedMessage

if TYPE_CHECKING:
    from .data import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)


class PolledCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Figures of a sender that Pushover is asked for every ``interval``."""

    config_entry: PushoverConfigEntry
    figures: ClassVar[str]  # what it fetches, for its name in the log
    interval: ClassVar[timedelta]  # how often, at first
    _always_update: ClassVar[bool] = True  # False: no listener call for equal data

    def __init__(
        self, hass: HomeAssistant, entry: PushoverConfigEntry, client: PushoverClient
    ) -> None:
        """Initialize the coordinator."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {self.figures}",
            update_interval=self.interval,
            always_update=self._always_update,
        )
        self.client = client

    async def _async_update_data(self) -> DataT:
        """Fetch the figures; a failure is the entry's translated ``update_failed``."""
        with entry_errors(UpdateFailed, "update_failed"):
            return await self._async_fetch()

    @abstractmethod
    async def _async_fetch(self) -> DataT:
        """Ask Pushover for the figures."""


class QuotaCoordinator(PolledCoordinator[Limits]):
    """Monthly message quota: apps/limits.json every six hours, every send's headers for free."""

    figures = "quota"
    interval = QUOTA_UPDATE_INTERVAL
    _unsub_reset: CALLBACK_TYPE | None = None

    async def _async_fetch(self) -> Limits:
        """Fetch the quota."""
        return await self.client.get_limits()

    @callback
    def async_set_limits(self, limits: Limits) -> None:
        """Take the quota seen in a response, which saves the next poll."""
        if limits != self.data:
            self.async_set_updated_data(limits)
            self._async_update_issue()

    @callback
    def _async_refresh_finished(self) -> None:
        """Raise or clear the quota repair issue after each update."""
        super()._async_refresh_finished()
        self._async_update_issue()

    @callback
    def _async_update_issue(self) -> None:
        """Keep the quota-exhausted repair issue in step with the data."""
        limits = self.data
        if limits is None or limits.remaining > 0 or limits.reset <= dt_util.utcnow():
            async_clear_issue(self.hass, self.config_entry, ISSUE_QUOTA_EXHAUSTED)
            return
        async_raise_issue(
            self.hass,
            self.config_entry,
            ISSUE_QUOTA_EXHAUSTED,
            severity=ir.IssueSeverity.ERROR,
            learn_more_url="https://pushover.net/api#limits",
            limit=str(limits.limit),
            reset=dt_util.as_local(limits.reset).strftime("%Y-%m-%d %H:%M"),
        )
        if self._unsub_reset is None:
            self._unsub_reset = async_track_point_in_utc_time(
                self.hass, self._async_reset_reached, limits.reset
            )
            self.config_entry.async_on_unload(self._async_cancel_reset)

    @callback
    def _async_cancel_reset(self) -> None:
        if self._unsub_reset is not None:
            self._unsub_reset()
            self._unsub_reset = None

    async def _async_reset_reached(self, _now: object) -> None:
        """Refresh when the quota resets; the refresh clears the issue."""
        self._unsub_reset = None
        await self.async_refresh()


class GroupsCoordinator(PolledCoordinator[dict[str, GroupInfo]]):
    """Delivery groups of the sender's account and their members, keyed by group key.

    Costs one request for the list and one per group: hourly while the account has
    groups, twice a day while it has none.
    """

    figures = "groups"
    interval = GROUPS_UPDATE_INTERVAL
    _always_update = False

    async def _async_fetch(self) -> dict[str, GroupInfo]:
        """Fetch the groups and the members of each."""
        groups = {
            summary.key: await self.client.get_group(summary.key)
            for summary in await self.client.list_groups()
        }
        self.update_interval = GROUPS_UPDATE_INTERVAL if groups else GROUPS_IDLE_UPDATE_INTERVAL
        return groups


class LicenseCreditsCoordinator(PolledCoordinator[int]):
    """License credits left on the application: licenses.json twice a day.

    Polls only while its (disabled by default) sensor listens; the license actions pass
    fresh figures for free.
    """

    figures = "license credits"
    interval = LICENSE_UPDATE_INTERVAL

    async def _async_fetch(self) -> int:
        """Fetch the credits."""
        return await self.client.get_license_credits()


class PushCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """Figures the integration pushes itself (``async_set_updated_data``); never polled."""

    def __init__(
        self, hass: HomeAssistant, entry: PushoverConfigEntry, name: str, data: DataT
    ) -> None:
        """Initialize the coordinator with its first figures."""
        super().__init__(hass, _LOGGER, config_entry=entry, name=f"{DOMAIN} {name}")
        self.data = data

    async def async_request_refresh(self) -> None:
        """Do nothing: there is nothing to fetch (homeassistant.update_entity lands here)."""


class ReceiverCoordinator(PushCoordinator[ReceivedMessage | None]):
    """The last message of an Open Client device; a success while its session is up."""

    def __init__(self, hass: HomeAssistant, entry: PushoverConfigEntry) -> None:
        """Initialize the coordinator: no message, not connected."""
        super().__init__(hass, entry, "receiver", None)
        self.last_update_success = False

    @callback
    def async_set_connected(self, connected: bool) -> None:
        """Take the session going up or down."""
        if connected != self.last_update_success:
            self.last_update_success = connected
            self.async_update_listeners()

    @callback
    def async_set_message(self, message: ReceivedMessage) -> None:
        """Take the last message (the backlog's arrives before the session is up)."""
        self.data = message
        self.async_update_listeners()


def message_attributes(message: ReceivedMessage) -> dict[str, Any]:
    """Return what automations see of a message (event entity and sensor attributes)."""
    return {
        "title": message.title,
        "message": message.message,
        "app": message.app,
        "priority": message.priority,
        "url": message.url,
        "url_title": message.url_title,
        "date": message.date.isoformat(),
        "receipt": message.receipt,
    }
