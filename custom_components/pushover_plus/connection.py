"""The Pushover client of an entry, on Home Assistant's HTTP session.

Every client of one API host shares one request budget: at most two requests in flight
to Pushover for the whole of Home Assistant, whatever the number of entries.
"""

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .const import CONF_API_TOKEN, CONF_API_URL, DOMAIN
from .pushover import DEFAULT_BASE_URL, DEFAULT_WEBSOCKET_URL, PushoverClient, RequestSlots

if TYPE_CHECKING:
    from .data import PushoverConfigEntry

REQUEST_SLOTS: HassKey[dict[str, RequestSlots]] = HassKey(f"{DOMAIN}_request_slots")


def websocket_url_for(api_url: str) -> str:
    """Return the Open Client websocket URL that goes with an API URL."""
    if api_url == DEFAULT_BASE_URL:
        return DEFAULT_WEBSOCKET_URL
    url = URL(api_url)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws").with_path("/push"))


def request_slots(hass: HomeAssistant, api_url: str) -> RequestSlots:
    """Return the request budget shared by every client of the API URL's host."""
    slots = hass.data.setdefault(REQUEST_SLOTS, {})
    host = URL(api_url).host_port_subcomponent or api_url
    if host not in slots:
        slots[host] = RequestSlots()
    return slots[host]


def create_client(hass: HomeAssistant, entry: PushoverConfigEntry) -> PushoverClient:
    """Return a client on Home Assistant's shared session for the entry."""
    api_url = entry.data.get(CONF_API_URL, DEFAULT_BASE_URL)
    return PushoverClient(
        async_get_clientsession(hass),
        entry.data.get(CONF_API_TOKEN),
        base_url=api_url,
        websocket_url=websocket_url_for(api_url),
        slots=request_slots(hass, api_url),
    )
