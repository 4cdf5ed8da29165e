"""The client's endpoints (pushover/client.py): messages, receipts, users, glances, limits."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import aiohttp

from custom_components.pushover_plus.pushover import (
    Attachment,
    Limits,
    Message,
    MessageResult,
    PushoverClient,
    PushoverRequestError,
    Receipt,
    UserValidation,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import (
    FIXED_NOW,
    FIXED_RESET,
    KEY,
    PNG,
    FakeApi,
    fake_client,
    raises,
    recorded,
)


async def test_send_message_passes_every_parameter(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.clock = lambda: FIXED_NOW
    message = Message(
        "Front door opened",
        title="Door",
        devices=("tablet",),
        priority=1,
        sound="siren",
        timestamp=1_700_000_000,
        ttl=3600,
        url="https://example.com/cam",
        url_title="Camera",
        html=True,
    )
    result = await client.send_message(account.user, message)

    delivery = simulator.deliveries[-1]
    assert delivery.user == account.user
    assert delivery.devices == ["tablet"]
    assert delivery.params == {
        "user": account.user,
        "message": "Front door opened",
        "title": "Door",
        "device": "tablet",
        "priority": "1",
        "sound": "siren",
        "timestamp": "1700000000",
        "ttl": "3600",
        "url": "https://example.com/cam",
        "url_title": "Camera",
        "html": "1",
    }
    assert simulator.requests[-1].params["token"] == account.token
    assert simulator.requests[-1].content_type == "application/x-www-form-urlencoded"
    assert result.request == delivery.request
    assert result.receipt is None
    assert result.limits == Limits(10000, 9999, FIXED_RESET)
    assert client.limits == result.limits


async def test_send_monospace_emergency_returns_the_receipt(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    message = Message(
        "Water leak",
        priority=2,
        retry=30,
        expire=10_800,
        callback="https://example.com/hook",
        tags=("leak", "basement"),
        monospace=True,
    )
    result = await client.send_message(account.user, message)

    assert result.receipt is not None
    assert simulator.deliveries[-1].receipt == result.receipt
    params = simulator.deliveries[-1].params
    assert (params["retry"], params["expire"], params["monospace"]) == ("30", "10800", "1")
    assert params["tags"] == "leak,basement"
    state = simulator.receipts[result.receipt]
    assert state.tags == ["leak", "basement"]
    assert state.callback == "https://example.com/hook"


async def test_send_to_several_users_ignores_devices_and_counts_each(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    result = await client.send_message(
        [account.user, account.other_user], Message("Dinner", devices=("tablet",))
    )

    assert simulator.requests[-1].params["user"] == f"{account.user},{account.other_user}"
    assert [(d.user, d.devices) for d in simulator.deliveries] == [
        (account.user, ["phone", "tablet"]),
        (account.other_user, ["pixel"]),
    ]
    assert result.limits is not None
    assert result.limits.remaining == 9998


async def test_send_to_several_devices_of_one_user(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    await client.send_message(account.user, Message("Hi", devices=("tablet", "phone")))

    assert simulator.requests[-1].params["device"] == "tablet,phone"
    assert simulator.deliveries[-1].devices == ["tablet", "phone"]


async def test_send_to_a_group_reaches_every_enabled_member(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    third = simulator.add_user(devices=("ipad",))
    group = simulator.add_group(
        "Family",
        owner_token=account.token,
        members=[(account.user, "phone", "Me"), (account.other_user, None, ""), (third, None, "")],
    )
    simulator.groups[group].members[2].disabled = True

    result = await client.send_message(group, Message("Dinner"))

    assert [(d.user, d.devices) for d in simulator.deliveries] == [
        (account.user, ["phone"]),
        (account.other_user, ["pixel"]),
    ]
    assert result.limits is not None
    assert result.limits.remaining == 9998


async def test_multipart_attachment(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    attachment = Attachment(PNG, "image/png", "snapshot.png")
    await client.send_message(account.user, Message("Doorbell", attachment=attachment))

    assert simulator.requests[-1].content_type == "multipart/form-data"
    delivery = simulator.deliveries[-1]
    assert delivery.attachment == PNG
    assert delivery.attachment_type == "image/png"
    assert delivery.params["message"] == "Doorbell"


async def test_base64_attachment(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    attachment = Attachment(PNG, "image/jpeg")
    await client.send_message(
        account.user, Message("Doorbell", attachment=attachment, attachment_as_base64=True)
    )

    assert simulator.requests[-1].content_type == "application/x-www-form-urlencoded"
    delivery = simulator.deliveries[-1]
    assert delivery.attachment == PNG
    assert delivery.attachment_type == "image/jpeg"


async def test_receipt_lifecycle(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    callbacks: list[tuple[str, dict[str, str]]] = []

    async def post(url: str, fields: dict[str, str]) -> None:
        callbacks.append((url, fields))

    simulator.callback_poster = post
    now = [FIXED_NOW]
    simulator.clock = lambda: now[0]
    emergency = Message(
        "Smoke", priority=2, retry=60, expire=600, callback="https://example.com/cb", tags=("fire",)
    )
    sent = await client.send_message(account.user, emergency)
    assert sent.receipt is not None

    now[0] += 130
    pending = await client.get_receipt(sent.receipt)
    assert not pending.acknowledged
    assert pending.acknowledged_at is None
    assert pending.acknowledged_by is None
    assert pending.acknowledged_by_device is None
    assert pending.last_delivered_at == datetime.fromtimestamp(FIXED_NOW + 120, UTC)
    assert not pending.expired
    assert pending.expires_at == datetime.fromtimestamp(FIXED_NOW + 600, UTC)
    assert not pending.called_back
    assert pending.called_back_at is None

    await simulator.acknowledge(sent.receipt, user=account.user, device="tablet")
    done = await client.get_receipt(sent.receipt)
    assert done.acknowledged
    assert done.acknowledged_at == datetime.fromtimestamp(FIXED_NOW + 130, UTC)
    assert (done.acknowledged_by, done.acknowledged_by_device) == (account.user, "tablet")
    assert done.called_back
    assert done.called_back_at == done.acknowledged_at
    assert callbacks[0][0] == "https://example.com/cb"


async def test_cancel_receipt_and_cancel_by_tag(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    def emergency(*tags: str) -> Message:
        return Message("Alarm", priority=2, retry=30, expire=300, tags=tags)

    first = await client.send_message(account.user, emergency("alarm"))
    second = await client.send_message(account.user, emergency("alarm", "garage"))
    third = await client.send_message(account.user, emergency("garage"))
    assert first.receipt
    assert second.receipt
    assert third.receipt

    await client.cancel_receipt(first.receipt)
    assert simulator.receipts[first.receipt].canceled
    assert simulator.requests[-1].path == f"/1/receipts/{first.receipt}/cancel.json"

    assert await client.cancel_by_tag("alarm") == 1  # the first is already canceled
    assert simulator.receipts[second.receipt].canceled
    assert not simulator.receipts[third.receipt].canceled
    assert await client.cancel_by_tag("nothing") == 0

    err = await raises(PushoverRequestError, client.get_receipt(KEY))
    assert err.parameters == {"receipt": "not found"}
    assert err.errors == ["receipt not found; may be invalid or expired"]


async def test_validate_user_group_and_device(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    assert await client.validate_user(account.user) == UserValidation(
        False, ["phone", "tablet"], ["Android"]
    )
    assert await client.validate_user(account.user, "tablet") == UserValidation(
        False, ["phone", "tablet"], ["Android"]
    )
    assert simulator.requests[-1].params["device"] == "tablet"
    group = simulator.add_group("G", owner_token=account.token)
    assert await client.validate_user(group) == UserValidation(True, [], [])

    err = await raises(PushoverRequestError, client.validate_user(account.user, "pixel"))
    assert err.parameters == {"device": "invalid for this user"}


async def test_sounds_include_the_accounts_custom_sounds(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.add_sound(account.token, "doorbell", "Doorbell")
    sounds = await client.get_sounds()
    assert sounds["pushover"] == "Pushover (default)"
    assert sounds["doorbell"] == "Doorbell"
    assert len(sounds) == 24
    assert simulator.requests[-1].method == "GET"
    assert simulator.requests[-1].params == {"token": account.token}


async def test_get_limits(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.clock = lambda: FIXED_NOW
    simulator.set_quota(account.token, limit=25000, remaining=123)
    limits = await client.get_limits()
    assert limits == Limits(25000, 123, FIXED_RESET)
    assert client.limits == limits


async def test_update_glance_sends_only_the_given_fields(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    await client.update_glance(account.user, device="phone", title="Solar", count=-3, percent=0)
    assert simulator.requests[-1].params == {
        "token": account.token,
        "user": account.user,
        "device": "phone",
        "title": "Solar",
        "count": "-3",
        "percent": "0",
    }
    await client.update_glance(account.user, text="", subtext="kWh")
    assert simulator.requests[-1].params == {
        "token": account.token,
        "user": account.user,
        "text": "",
        "subtext": "kWh",
    }
    assert simulator.requests[-1].status == 200


async def test_recorded_answers_are_read(session: aiohttp.ClientSession, fake_api: FakeApi) -> None:
    """Pushover's documented success bodies (tests/fixtures) parse into the models."""
    fake_api.responses["messages.json"] = recorded("messages_sent_emergency")
    fake_api.responses["users/validate.json"] = recorded("user_valid")
    fake_api.responses[f"receipts/{KEY}.json"] = recorded("receipt_acknowledged")
    fake_api.responses["apps/limits.json"] = recorded("limits")
    fake_api.responses["users/login.json"] = recorded("login")
    client = fake_client(session, fake_api)

    sent = await client.send_message(KEY, Message("x", priority=2, retry=30, expire=60))
    assert sent == MessageResult(
        "647d2300-702c-4b38-8b2f-d56326ae460b", "gggg7777GGGG7777hhhh8888HHHH88", None
    )
    assert await client.validate_user(KEY) == UserValidation(False, ["pixel2xl"], ["Android"])
    at = partial(datetime.fromtimestamp, tz=UTC)
    assert await client.get_receipt(KEY) == Receipt(
        acknowledged=True,
        acknowledged_at=at(1593975206),
        acknowledged_by="a" * 30,
        acknowledged_by_device="test-device-1",
        last_delivered_at=at(1593975186),
        expired=True,
        expires_at=at(1593975485),
        called_back=True,
        called_back_at=at(1593975206),
    )
    assert await client.get_limits() == Limits(7500, 6841, at(1535778000))
    session_ = await client.login("me@example.com", "pw")
    assert session_.user_key == "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
    assert len(session_.secret) == 60


async def test_a_recorded_send_without_a_receipt(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = recorded("messages_sent")
    result = await fake_client(session, fake_api).send_message(KEY, Message("x"))
    assert result == MessageResult("647d2300-702c-4b38-8b2f-d56326ae460b", None, None)
