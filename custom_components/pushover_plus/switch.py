"""Switches of Pushover Plus: one per delivery-group member (on = enabled)."""

from hashlib import sha256
from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, MANUFACTURER
from .coordinator import GroupsCoordinator
from .data import PushoverConfigEntry, sender_data
from .entity import PushoverCoordinatorEntity
from .errors import call_api
from .pushover import GroupMember

PARALLEL_UPDATES = 1


def _digest(*parts: str) -> str:
    """Return a short digest that stands for keys in identifiers (never the keys)."""
    return sha256("\n".join(parts).encode()).hexdigest()[:16]


def group_identifier(entry: PushoverConfigEntry, group_key: str) -> str:
    """Return the device identifier of a delivery group."""
    return f"{entry.entry_id}_group_{_digest(group_key)}"


def member_key(group_key: str, member: GroupMember) -> str:
    """Return the unique id suffix of a group membership."""
    return f"member_{_digest(group_key, member.user, member.device or '')}"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch per group member once the groups arrive, following them as they change."""
    coordinator = sender_data(entry).groups
    added: set[str] = set()

    @callback
    def async_sync() -> None:
        """Add new members, remove the ones (and the groups) that are gone."""
        if coordinator.data is None or not coordinator.last_update_success:
            return  # not fetched yet, or an outage: says nothing about what is gone
        current = {
            f"{entry.entry_id}_{member_key(group_key, member)}": (group_key, member, number)
            for group_key, group in coordinator.data.items()
            for number, member in enumerate(group.users, start=1)
        }
        async_add_entities(
            GroupMemberSwitch(coordinator, entry, group_key, member, number)
            for unique_id, (group_key, member, number) in current.items()
            if unique_id not in added
        )
        added.clear()
        added.update(current)
        _async_remove_stale(hass, entry, coordinator, set(current))

    async_sync()
    entry.async_on_unload(coordinator.async_add_listener(async_sync))


@callback
def _async_remove_stale(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    coordinator: GroupsCoordinator,
    unique_ids: set[str],
) -> None:
    """Remove the switches of gone members and the devices of gone or empty groups."""
    entity_registry = er.async_get(hass)
    for entity_entry in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if (
            entity_entry.domain == Platform.SWITCH
            and entity_entry.platform == DOMAIN
            and entity_entry.unique_id not in unique_ids
        ):
            entity_registry.async_remove(entity_entry.entity_id)
    names = {
        group_identifier(entry, group_key): group.name
        for group_key, group in coordinator.data.items()
        if group.users
    }
    prefix = f"{entry.entry_id}_group_"
    device_registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        identifier = next((value for domain, value in device.identifiers if domain == DOMAIN), "")
        if not identifier.startswith(prefix):
            continue
        if identifier not in names:
            device_registry.async_remove_device(device.id)
        elif device.name != names[identifier]:
            device_registry.async_update_device(device.id, name=names[identifier])


class GroupMemberSwitch(PushoverCoordinatorEntity[GroupsCoordinator], SwitchEntity):
    """A membership of a delivery group; off means temporarily disabled."""

    _attr_translation_key = "group_member"

    def __init__(
        self,
        coordinator: GroupsCoordinator,
        entry: PushoverConfigEntry,
        group_key: str,
        member: GroupMember,
        number: int,
    ) -> None:
        """Initialize the switch on the group's device."""
        super().__init__(coordinator, entry, member_key(group_key, member))
        self.group_key = group_key
        self.user = member.user
        self.device = member.device
        if member.memo:
            self._attr_name = member.memo
        else:
            self._attr_translation_placeholders = {"number": str(number)}
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, group_identifier(entry, group_key))},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer=MANUFACTURER,
            model="Delivery group",
            name=coordinator.data[group_key].name,
        )

    @property
    def member(self) -> GroupMember | None:
        """Return the membership as last fetched, None when it is gone."""
        group = self.coordinator.data.get(self.group_key)
        if group is None:
            return None
        return next(
            (m for m in group.users if m.user == self.user and m.device == self.device), None
        )

    @property
    def available(self) -> bool:
        """Return whether the membership is known."""
        return super().available and self.member is not None

    @property
    def is_on(self) -> bool:
        """Return whether the member receives the group's messages."""
        member = self.member
        return member is not None and not member.disabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable the membership."""
        client = self.coordinator.client
        await call_api(
            self.hass, self.entry, client.group_enable_user(self.group_key, self.user, self.device)
        )
        await self.coordinator.async_request_refresh()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable the membership until it is enabled again."""
        client = self.coordinator.client
        await call_api(
            self.hass, self.entry, client.group_disable_user(self.group_key, self.user, self.device)
        )
        await self.coordinator.async_request_refresh()
