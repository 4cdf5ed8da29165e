"""Bad input: every action takes random and adversarial data without a stray exception.

Each call either works, or raises a translated ``HomeAssistantError`` (a
``ServiceValidationError`` for bad input), or fails Home Assistant's schema check; no
call sends Pushover a parameter that breaks a documented limit. The actions are listed
at run time, so a new action is covered as soon as it is registered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import functools
import operator
import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous

from custom_components.pushover_plus.compat import vol
from custom_components.pushover_plus.const import (
    CONF_TEAM_TOKEN,
    DOMAIN,
)
from custom_components.pushover_plus.messages import (
    MAX_TIMESTAMP,
    MAX_WHOLE_NUMBER,
    MIN_TIMESTAMP,
)
from custom_components.pushover_plus.pushover import (
    MAX_ATTACHMENT_BYTES,
    MAX_EXPIRE_SECONDS,
    MAX_GLANCE_FIELD_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_URL_TITLE_LENGTH,
    MIN_RETRY_SECONDS,
    TAG_PATTERN,
    Message,
    PushoverClient,
)
from pushover_simulator import PushoverSimulator
from pushover_simulator.state import BUILTIN_SOUNDS

from .conftest import Account, add_receiver_entry

ENTITY = "notify.home"
EXAMPLES = 4500
MIN_DISTINCT_PER_ACTION = 5
MIN_DISTINCT_TOTAL = 2000
KEY = re.compile(r"^[A-Za-z0-9]{30}$")
DEVICE = re.compile(r"^[A-Za-z0-9_-]{1,25}$")
SCHEMA_ERRORS = (vol.Invalid, voluptuous.Invalid)
# Fields Home Assistant adds to entity actions; the target is always notify.home.
TARGET_FIELDS = {"entity_id", "device_id", "area_id", "floor_id", "label_id", "metadata"}
CUSTOM_SOUND = "doorbell"


@dataclass(frozen=True)
class Targets:
    """What plausible values point at: the loaded entries and the simulator's data."""

    sender_id: str
    receiver_id: str
    user: str
    other_user: str
    group: str
    receipt: str
    subscription: str
    team_member: str


@pytest.fixture
async def targets(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> AsyncIterator[Targets]:
    """A loaded sender (with a team) and receiver, and data for the actions to act on."""
    team_member = "member@example.com"
    hass.config_entries.async_update_entry(
        sender_entry,
        options={
            **sender_entry.options,
            CONF_TEAM_TOKEN: simulator.add_team(members=[team_member]),
        },
    )
    simulator.add_sound(account.token, CUSTOM_SOUND, "Doorbell")
    simulator.set_license_credits(account.token, 1_000_000)
    simulator.set_quota(account.token, limit=1_000_000, remaining=1_000_000)
    subscription = "subscription-code"
    simulator.add_subscription(account.token, subscription)
    group = simulator.add_group(
        "Family", owner_token=account.token, members=[(account.user, None, "")]
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)

    receiver, receiver_user = await add_receiver_entry(hass, simulator)
    assert await hass.config_entries.async_setup(receiver.entry_id)
    await hass.async_block_till_done()
    assert receiver.state is ConfigEntryState.LOADED

    app = PushoverClient(async_get_clientsession(hass), account.token, base_url=simulator.base_url)
    alert = await app.send_message(
        receiver_user, Message("alarm", priority=2, retry=30, expire=3600, tags=["door"])
    )
    assert alert.receipt is not None
    simulator.reset_stats()
    yield Targets(
        sender_id=sender_entry.entry_id,
        receiver_id=receiver.entry_id,
        user=account.user,
        other_user=account.other_user,
        group=group,
        receipt=alert.receipt,
        subscription=subscription,
        team_member=team_member,
    )
    for entry in (sender_entry, receiver):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


class Tried(dict[str, set[str]]):
    """Distinct inputs per action (shown as counts in a failure report)."""

    def counts(self) -> dict[str, int]:
        """Return how many distinct inputs each action was given."""
        return {action: len(seen) for action, seen in sorted(self.items())}

    def __repr__(self) -> str:
        """Show the counts, not the inputs."""
        return repr(self.counts())


@pytest.fixture
def no_loop_debug(hass: HomeAssistant) -> Iterator[None]:
    """Run without asyncio debug mode, as Home Assistant does outside tests.

    The harness turns it on; it records a traceback for every callback, which would
    take a third of this test's time.
    """
    hass.loop.set_debug(False)
    yield
    hass.loop.set_debug(True)


@pytest.fixture
def tried(record_property: Any) -> Iterator[Tried]:
    """Distinct inputs per action; after the run, check and record how many were tried."""
    inputs = Tried()
    yield inputs
    counts = inputs.counts()
    record_property("distinct_inputs_per_action", counts)
    record_property("distinct_inputs_total", sum(counts.values()))
    assert sum(counts.values()) >= MIN_DISTINCT_TOTAL, counts
    assert min(counts.values()) >= MIN_DISTINCT_PER_ACTION, counts


# ---------------------------------------------------------------- values


def repeated(pieces: list[str], low: int, high: int) -> st.SearchStrategy[str]:
    """Long strings built cheaply: one piece repeated ``low`` to ``high`` times."""
    return st.builds(operator.mul, st.sampled_from(pieces), st.integers(low, high))


ODD = ["\ud800", "\x00", "\u202e", "🏠", "\n", ",", "/", "%", " "]
CONTROL = st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"])
SHORT_TEXT = st.one_of(st.text(max_size=30), st.text(CONTROL, min_size=1, max_size=10))
TEXT = st.one_of(
    SHORT_TEXT,
    st.lists(st.sampled_from(ODD), min_size=1, max_size=8).map("".join),
    repeated(["a", "é", "𝄞", "\x00", "\n", "<b>", "%", ",", "/", " ", "🏠", "\ud800"], 20, 1100),
    repeated(["x", "Z9"], 5000, 6000),
)
ADVERSARIAL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    TEXT,
    st.lists(SHORT_TEXT, max_size=5),
    st.builds(operator.mul, st.lists(SHORT_TEXT, min_size=1, max_size=1), st.integers(0, 60)),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=20), SHORT_TEXT, max_size=3),
    st.sampled_from(["", " ", "0", "-1", "1e400", "nan", "true", "null", "[]", "{}"]),
)


def twisted(value: Any, odd: str, where: int) -> Any:
    """Put an odd character into a plausible text (at the start, in the middle or the end)."""
    if not isinstance(value, str):
        return value
    cut = len(value) // 2 if where == 1 else (0 if where == 0 else len(value))
    return value[:cut] + odd + value[cut:]


@functools.cache
def value_for(field: str, targets: Targets) -> st.SearchStrategy[Any]:
    """Plausible values, plausible values with an odd character, or anything at all."""
    good = plausible(field, targets)
    return st.one_of(
        good,
        st.builds(twisted, good, st.sampled_from(ODD), st.integers(0, 2)),
        ADVERSARIAL,
    )


def key_like() -> st.SearchStrategy[str]:
    """Keys of the right shape that Pushover does not know, and near misses."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return st.one_of(
        st.text(alphabet, min_size=30, max_size=30),
        st.text(alphabet, min_size=29, max_size=31),
        st.text(alphabet + "_- ", min_size=30, max_size=30),
    )


@functools.cache
def plausible(field: str, targets: Targets) -> st.SearchStrategy[Any]:
    """Values a user could well type into the field (anything for an unknown field)."""
    keys = st.one_of(st.sampled_from([targets.user, targets.other_user, targets.group]), key_like())
    devices = st.sampled_from(["phone", "tablet", "pixel", "ha", "no such", "a" * 26, "-_-"])
    emails = st.sampled_from(
        [targets.team_member, "new@example.com", "me@example.com", "no-at-sign", "a@b", "@x.y"]
    )
    times = st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    seconds = st.one_of(
        st.integers(-5, 40),
        st.integers(10_790, 10_810),
        st.integers(0, 10**9),
        st.sampled_from([2**31 - 1, 2**31, 2**64 - 1, True, 1.5, 30.0, "30", "1e3"]),
    )
    short = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)
    values: dict[str, st.SearchStrategy[Any]] = {
        "config_entry_id": st.sampled_from([targets.sender_id, targets.receiver_id]),
        "message": short,
        "title": short,
        "text": short,
        "subtext": short,
        "name": short,
        "memo": short,
        "url_title": short,
        "password": short,
        "url": st.sampled_from(["https://example.com", "http://x", "ftp://example.com/a b"]),
        "user": keys,
        "group_key": keys,
        "group": st.one_of(keys, short),
        "device": devices,
        "devices": st.one_of(devices, st.lists(devices, max_size=4), st.just("phone, tablet")),
        "device_name": devices,
        "priority": st.one_of(
            st.integers(-3, 3),
            st.sampled_from(["lowest", "low", "normal", "high", "emergency", "Emergency", "2"]),
            st.sampled_from([True, False, 1.5, 2.0, "1.5", " 1 "]),
        ),
        "retry": seconds,
        "expire": seconds,
        "ttl": seconds,
        "count": st.integers(-(2**40), 2**40),
        "percent": st.integers(-5, 105),
        "tags": st.one_of(
            st.sampled_from(["door", "door,night", ",", "a/b", "x" * 100, "x" * 10_000]),
            st.lists(short, max_size=3),
        ),
        "tag": st.sampled_from(["door", "night", "a,b", "a/b", "?", "%", "x" * 101]),
        "sound": st.sampled_from([CUSTOM_SOUND, "siren", "none", "no such sound", *BUILTIN_SOUNDS]),
        "timestamp": st.one_of(
            times,
            times.map(datetime.isoformat),
            st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1970-01-01T00:00:00"]),
        ),
        "html": st.booleans(),
        "monospace": st.booleans(),
        "instant": st.booleans(),
        "admin": st.booleans(),
        "hold_when_offline": st.booleans(),
        "receipt": st.one_of(st.just(targets.receipt), key_like()),
        "email": emails,
        "os": st.sampled_from(["Android", "iOS", "Desktop", "android", "Windows", ""]),
        "subscription": st.sampled_from([targets.subscription, "unknown", " "]),
        "attachment": st.fixed_dictionaries(
            {
                "media_content_id": st.sampled_from(
                    [
                        "media-source://camera/camera.none",
                        "media-source://image/image.none",
                        "media-source://media_source/local/none.jpg",
                        "media-source://nowhere",
                        "",
                        "x",
                        5,
                        ["x"],
                        None,
                    ]
                )
            }
        ),
        "attachment_path": st.sampled_from(["/etc/passwd", "relative.jpg", "/tmp/none.png"]),
        "attachment_url": st.sampled_from(
            ["https://example.com/a.jpg", "file:///etc/passwd", "http://127.0.0.1:1/x.png"]
        ),
    }
    return values.get(field, ADVERSARIAL)


SCHEMA_SCHEMAS = (vol.Schema, voluptuous.Schema)
SCHEMA_ALLS = (vol.All, voluptuous.All)
SCHEMA_REQUIRED = (vol.Required, voluptuous.Required)


def fields_of(schema: Any) -> dict[str, bool]:
    """Return the fields of an action's schema: name -> required."""
    found: dict[str, bool] = {}
    if isinstance(schema, SCHEMA_SCHEMAS):
        found |= fields_of(schema.schema)
    elif isinstance(schema, SCHEMA_ALLS):
        for validator in schema.validators:
            found |= fields_of(validator)
    elif isinstance(schema, Mapping):
        for marker in schema:
            name = str(getattr(marker, "schema", marker))
            if name not in TARGET_FIELDS:
                found[name] = isinstance(marker, SCHEMA_REQUIRED)
    return found


_FIELDS: dict[int, dict[str, bool]] = {}


def action_fields(schema: Any) -> dict[str, bool]:
    """Return the fields of an action's schema (worked out once per schema)."""
    if id(schema) not in _FIELDS:
        _FIELDS[id(schema)] = fields_of(schema)
    return _FIELDS[id(schema)]


MODES = ["plausible", "one odd", "one odd", "one twisted", "all odd", "all twisted"]


@st.composite
def action_data(draw: st.DrawFn, fields: dict[str, bool], targets: Targets) -> dict[str, Any]:
    """Data for one call: plausible values with one odd value, or anything at all.

    Most calls are plausible but for one field (twisted or replaced), so that the odd
    value gets past the other checks; fields are left out, and unknown ones added.
    """
    data: dict[str, Any] = {}
    for field, required in fields.items():
        if draw(st.integers(0, 9)) < (9 if required else 4):
            data[field] = draw(plausible(field, targets))
    mode = draw(st.sampled_from(MODES))
    texts = sorted(field for field, value in data.items() if isinstance(value, str))
    if mode == "all odd":
        for field in data:
            data[field] = draw(value_for(field, targets))
    elif mode == "one odd" and data:
        field = draw(st.sampled_from(sorted(data)))
        data[field] = draw(value_for(field, targets))
    elif mode == "all twisted" and texts:
        odd = draw(st.sampled_from(ODD))
        for field in texts:
            data[field] = twisted(data[field], odd, draw(st.integers(0, 2)))
    elif mode == "one twisted" and texts:
        field = draw(st.sampled_from(texts))
        data[field] = twisted(data[field], draw(st.sampled_from(ODD)), draw(st.integers(0, 2)))
    if draw(st.integers(0, 19)) == 0:
        data[draw(st.sampled_from(["unknown", "token", "user_key", "entity_id"]))] = draw(
            ADVERSARIAL
        )
    return data


# ---------------------------------------------------------------- the limits Pushover sees


def check_message(params: Mapping[str, str], sounds: set[str]) -> None:
    """Assert that a messages.json request keeps every documented limit."""
    assert all(KEY.match(user) for user in params["user"].split(","))
    message = params.get("message", "")
    assert message.strip()
    assert len(message) <= MAX_MESSAGE_LENGTH
    assert len(params.get("title", "")) <= MAX_TITLE_LENGTH
    assert len(params.get("url", "")) <= MAX_URL_LENGTH
    assert len(params.get("url_title", "")) <= MAX_URL_TITLE_LENGTH
    priority = int(params.get("priority", "0"))
    assert -2 <= priority <= 2
    if priority == 2:
        assert "retry" in params
        assert "expire" in params
        assert "ttl" not in params
    if "retry" in params:
        assert int(params["retry"]) >= MIN_RETRY_SECONDS
    if "expire" in params:
        assert 1 <= int(params["expire"]) <= MAX_EXPIRE_SECONDS
    if "ttl" in params:
        assert 1 <= int(params["ttl"]) <= MAX_WHOLE_NUMBER
    if "timestamp" in params:
        assert MIN_TIMESTAMP <= int(params["timestamp"]) <= MAX_TIMESTAMP
    assert not (params.get("html") == "1" and params.get("monospace") == "1")
    assert all(DEVICE.match(device) for device in params.get("device", "").split(",") if device)
    if "tags" in params:
        assert all(re.fullmatch(TAG_PATTERN, tag) for tag in params["tags"].split(","))
    for number in ("priority", "retry", "expire", "ttl", "timestamp"):
        if number in params:
            assert re.fullmatch(r"-?[0-9]+", params[number]), (number, params[number])
    if "sound" in params:
        assert params["sound"] in sounds
    if "attachment_base64" in params:
        assert len(params["attachment_base64"]) <= MAX_ATTACHMENT_BYTES * 4 // 3 + 4


def check_glance(params: Mapping[str, str]) -> None:
    """Assert that a glances.json request keeps every documented limit."""
    assert KEY.match(params["user"])
    fields = ("title", "text", "subtext", "count", "percent")
    assert any(field in params for field in fields)
    for field in ("title", "text", "subtext"):
        assert len(params.get(field, "")) <= MAX_GLANCE_FIELD_LENGTH
    if "count" in params:
        assert abs(int(params["count"])) <= MAX_WHOLE_NUMBER
    if "percent" in params:
        assert 0 <= int(params["percent"]) <= 100


# ---------------------------------------------------------------- the property


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,  # the same inputs every run: a red run is reproducible, never flaky
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
)
@given(data=st.data())
@pytest.mark.usefixtures("no_loop_debug")
async def test_every_action_answers_any_input_cleanly(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    targets: Targets,
    tried: Tried,
    data: st.DataObject,
) -> None:
    services = hass.services.async_services_for_domain(DOMAIN)
    # Actions with more fields get more examples: two, and one more per three fields.
    weighted = [
        name
        for name in sorted(services)
        for _ in range(2 + len(action_fields(services[name].schema)) // 3)
    ]
    action = data.draw(st.sampled_from(weighted), label="action")
    fields = action_fields(services[action].schema)
    payload = data.draw(action_data(fields, targets), label="data")
    if action == "send_message":
        payload["entity_id"] = ENTITY
    support = hass.services.supports_response(DOMAIN, action)
    return_response = support is SupportsResponse.ONLY or (
        support is SupportsResponse.OPTIONAL and data.draw(st.booleans(), label="response")
    )
    seen = tried.setdefault(action, set())
    key = repr(sorted(payload.items(), key=repr)) + repr(return_response)
    if key in seen:  # spend the time on distinct inputs only
        return
    first_request = len(simulator.requests)
    refusal: HomeAssistantError | None = None
    try:
        await hass.services.async_call(
            DOMAIN, action, payload, blocking=True, return_response=return_response
        )
    except SCHEMA_ERRORS:
        pass  # Home Assistant's schema check refused it
    except HomeAssistantError as err:
        refusal = err
    assert refusal is None or refusal.translation_key, f"{refusal!r} has no translation key"
    await hass.async_block_till_done()
    sounds = set(BUILTIN_SOUNDS) | {CUSTOM_SOUND}
    for request in simulator.requests[first_request:]:
        if request.path == "/1/messages.json" and request.method == "POST":
            assert request.status == 200, (action, request)
            check_message(request.params, sounds)
        elif request.path == "/1/glances.json":
            check_glance(request.params)
    seen.add(key)  # only once it passed: a failing input is replayed for the report


# ---------------------------------------------------------------- what the property found

SURROGATE = "\ud800"


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("send_message", {"message": SURROGATE}, "text_invalid"),
        ("send_message", {"message": "ok", "title": f"a{SURROGATE}"}, "text_invalid"),
        ("send_message", {"message": "ok", "url": f"https://x/{SURROGATE}"}, "text_invalid"),
        (
            "send_message",
            {"message": "ok", "attachment_url": f"https://exam{SURROGATE}ple.com/a.jpg"},
            "attachment_url_invalid",
        ),
        (
            "send_message",
            {"message": "ok", "attachment": {"media_content_id": "media-source://image/image.x"}},
            "attachment_media_unavailable",
        ),
        ("cancel_by_tag", {"tag": f"door{SURROGATE}"}, "tag_invalid"),
        ("create_group", {"name": SURROGATE}, "text_invalid"),
        ("update_glance", {"text": SURROGATE}, "text_invalid"),
    ],
)
@pytest.mark.usefixtures("loaded_sender")
async def test_unsendable_input_is_refused_before_any_request(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Lone surrogates (YAML "\\ud800", templates) and missing image entities."""
    target = (
        {"entity_id": ENTITY}
        if action == "send_message"
        else {"config_entry_id": sender_entry.entry_id}
    )
    simulator.reset_stats()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(DOMAIN, action, {**target, **data}, blocking=True)
    assert err.value.translation_key == key
    assert simulator.requests == []


@pytest.mark.usefixtures("loaded_sender")
async def test_timestamp_that_is_not_ascii_fails_the_schema(hass: HomeAssistant) -> None:
    """The date parser behind cv.datetime (ciso8601) crashes the process on a surrogate."""
    with pytest.raises(SCHEMA_ERRORS):
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"entity_id": ENTITY, "message": "ok", "timestamp": f"2026-01-01{SURROGATE}"},
            blocking=True,
        )
