"""Local limits (pushover/validation.py): checked before any request is made."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.pushover_plus.pushover import (
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_LENGTH,
    Attachment,
    Message,
    PushoverClient,
    PushoverValidationError,
    ValidatedMessage,
    validate_device_name,
    validate_key,
    validate_message,
    validate_receipt,
)
from custom_components.pushover_plus.pushover.validation import validate_email
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import KEY, PNG, raises


async def test_values_at_the_limits_are_sent(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    users = [simulator.add_user() for _ in range(50)]
    emoji = "\N{BELL}" * MAX_MESSAGE_LENGTH  # counted in characters, not bytes
    message = Message(
        emoji,
        title="t" * 250,
        url="u" * 512,
        url_title="v" * 100,
        devices=("d" * 25,),
        priority=-2,
        attachment=Attachment(b"\0" * MAX_ATTACHMENT_BYTES, "image/gif"),
    )

    await client.send_message(users, message)

    assert len(simulator.deliveries) == 50
    assert simulator.deliveries[0].params["message"] == emoji
    assert simulator.deliveries[0].attachment is not None
    assert len(simulator.deliveries[0].attachment) == MAX_ATTACHMENT_BYTES


LOCAL_MESSAGE_LIMITS: list[tuple[str, Any, Message, str, int | None]] = [
    ("too_many_users", "many", Message("x"), "user", 50),
    ("user_key_invalid", "short", Message("x"), "user", None),
    ("user_key_invalid", "nobody", Message("x"), "user", None),
    ("message_empty", None, Message("  "), "message", None),
    ("message_too_long", None, Message("x" * 1025), "message", 1024),
    ("title_too_long", None, Message("x", title="t" * 251), "title", 250),
    ("url_too_long", None, Message("x", url="u" * 513), "url", 512),
    ("url_title_too_long", None, Message("x", url_title="u" * 101), "url_title", 100),
    ("device_name_invalid", None, Message("x", devices=("my phone",)), "device", 25),
    ("device_name_invalid", None, Message("x", devices=("d" * 26,)), "device", 25),
    ("priority_invalid", None, Message("x", priority=3), "priority", None),
    ("retry_required", None, Message("x", priority=2, expire=60), "retry", None),
    ("expire_required", None, Message("x", priority=2, retry=60), "expire", None),
    ("retry_too_short", None, Message("x", priority=2, retry=29, expire=60), "retry", 30),
    ("expire_too_long", None, Message("x", priority=2, retry=30, expire=10801), "expire", 10800),
    ("expire_invalid", None, Message("x", priority=2, retry=30, expire=0), "expire", None),
    ("ttl_invalid", None, Message("x", ttl=0), "ttl", None),
    ("html_and_monospace", None, Message("x", html=True, monospace=True), "monospace", None),
    ("tag_invalid", None, Message("x", tags=("a,b",)), "tags", None),
    ("tag_invalid", None, Message("x", tags=("a/b",)), "tags", None),
    ("tag_invalid", None, Message("x", tags=("t" * 101,)), "tags", None),
    (
        "attachment_too_large",
        None,
        Message("x", attachment=Attachment(b"\0" * (MAX_ATTACHMENT_BYTES + 1), "image/png")),
        "attachment",
        MAX_ATTACHMENT_BYTES,
    ),
    (
        "attachment_type_missing",
        None,
        Message("x", attachment=Attachment(PNG, "")),
        "attachment_type",
        None,
    ),
    (
        "attachment_type_invalid",
        None,
        Message("x", attachment=Attachment(PNG, "application/pdf")),
        "attachment_type",
        None,
    ),
]


@pytest.mark.parametrize(
    ("reason", "users", "message", "parameter", "limit"),
    LOCAL_MESSAGE_LIMITS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(LOCAL_MESSAGE_LIMITS)],
)
async def test_message_limits_are_checked_before_any_request(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    reason: str,
    users: str | None,
    message: Message,
    parameter: str,
    limit: int | None,
) -> None:
    recipients: str | list[str] = {
        "many": [account.user] * 51,
        "short": "abc",
        "nobody": [],
        None: account.user,
    }[users]
    before = len(simulator.requests)

    err = await raises(PushoverValidationError, client.send_message(recipients, message))

    assert (err.reason, err.parameter, err.limit) == (reason, parameter, limit)
    assert not hasattr(err, "status")  # refused locally: no HTTP answer
    assert len(simulator.requests) == before


async def test_a_validated_message_is_sent_as_validated(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    second = simulator.add_user()
    validated = validate_message([account.user, second], Message("hi"))
    assert validated == ValidatedMessage(f"{account.user},{second}", Message("hi"))

    await client.send(validated)

    assert simulator.deliveries[-1].params["user"] == f"{account.user},{second}"
    assert {delivery.user for delivery in simulator.deliveries} == {account.user, second}


@pytest.mark.parametrize(
    ("attachment", "reason"),
    [
        (Attachment(b"\0" * (MAX_ATTACHMENT_BYTES + 1), "image/png"), "attachment_too_large"),
        (Attachment(PNG, ""), "attachment_type_missing"),
        (Attachment(PNG, "application/pdf"), "attachment_type_invalid"),
    ],
)
def test_an_attachment_added_to_a_validated_message_is_checked(
    attachment: Attachment, reason: str
) -> None:
    validated = validate_message(KEY, Message("look"))
    with pytest.raises(PushoverValidationError) as err:
        validated.with_attachment(attachment)
    assert err.value.reason == reason

    image = Attachment(PNG, "image/png")
    assert validated.with_attachment(image) == (KEY, Message("look", attachment=image))


LocalCall = Callable[[PushoverClient, Account], Awaitable[Any]]


LOCAL_CALL_LIMITS: list[tuple[str, LocalCall, str, str]] = [
    ("receipt", lambda c, a: c.get_receipt("nope"), "receipt_invalid", "receipt"),
    ("cancel", lambda c, a: c.cancel_receipt("x" * 31), "receipt_invalid", "receipt"),
    ("tag_comma", lambda c, a: c.cancel_by_tag("a,b"), "tag_invalid", "tag"),
    ("tag_slash", lambda c, a: c.cancel_by_tag("a/b"), "tag_invalid", "tag"),
    ("tag_long", lambda c, a: c.cancel_by_tag("t" * 101), "tag_invalid", "tag"),
    ("tag_surrogate", lambda c, a: c.cancel_by_tag("\ud800"), "tag_invalid", "tag"),
    ("validate_user", lambda c, a: c.validate_user("x"), "user_key_invalid", "user"),
    (
        "validate_device",
        lambda c, a: c.validate_user(a.user, "bad device"),
        "device_name_invalid",
        "device",
    ),
    ("glance_user", lambda c, a: c.update_glance("x", title="t"), "user_key_invalid", "user"),
    (
        "glance_device",
        lambda c, a: c.update_glance(a.user, device="d!", title="t"),
        "device_name_invalid",
        "device",
    ),
    ("glance_empty", lambda c, a: c.update_glance(a.user), "glance_empty", "title"),
    (
        "glance_long",
        lambda c, a: c.update_glance(a.user, subtext="s" * 101),
        "glance_field_too_long",
        "subtext",
    ),
    (
        "glance_percent",
        lambda c, a: c.update_glance(a.user, percent=101),
        "glance_percent_invalid",
        "percent",
    ),
    (
        "glance_negative_percent",
        lambda c, a: c.update_glance(a.user, percent=-1),
        "glance_percent_invalid",
        "percent",
    ),
    ("create_group", lambda c, a: c.create_group(" "), "group_name_empty", "name"),
    ("get_group", lambda c, a: c.get_group("x"), "user_key_invalid", "group"),
    ("rename_key", lambda c, a: c.rename_group("x", "n"), "user_key_invalid", "group"),
    ("rename_name", lambda c, a: c.rename_group(KEY, ""), "group_name_empty", "name"),
    ("add_group", lambda c, a: c.group_add_user("x", a.user), "user_key_invalid", "group"),
    ("add_user", lambda c, a: c.group_add_user(KEY, "x"), "user_key_invalid", "user"),
    (
        "add_device",
        lambda c, a: c.group_add_user(KEY, a.user, "d d"),
        "device_name_invalid",
        "device",
    ),
    (
        "add_memo",
        lambda c, a: c.group_add_user(KEY, a.user, memo="m" * 201),
        "memo_too_long",
        "memo",
    ),
    ("remove", lambda c, a: c.group_remove_user(KEY, "x"), "user_key_invalid", "user"),
    ("enable", lambda c, a: c.group_enable_user("x", a.user), "user_key_invalid", "group"),
    ("disable", lambda c, a: c.group_disable_user(KEY, "x"), "user_key_invalid", "user"),
    ("team_token", lambda c, a: c.team_add_user("x", "a@b.co"), "user_key_invalid", "token"),
    ("team_email", lambda c, a: c.team_add_user(KEY, "nobody"), "email_invalid", "email"),
    ("team_remove", lambda c, a: c.team_remove_user(KEY, "a@b"), "email_invalid", "email"),
    ("team_info", lambda c, a: c.get_team("x"), "user_key_invalid", "token"),
    ("license_none", lambda c, a: c.assign_license(), "license_target", "user"),
    (
        "license_both",
        lambda c, a: c.assign_license(user=a.user, email="a@b.co"),
        "license_target",
        "user",
    ),
    ("license_user", lambda c, a: c.assign_license(user="x"), "user_key_invalid", "user"),
    ("license_email", lambda c, a: c.assign_license(email="x@"), "email_invalid", "email"),
    (
        "license_os",
        lambda c, a: c.assign_license(email="a@b.co", os="Windows"),
        "license_os_invalid",
        "os",
    ),
    (
        "migrate_code",
        lambda c, a: c.migrate_subscription(" ", a.user),
        "subscription_empty",
        "subscription",
    ),
    ("migrate_user", lambda c, a: c.migrate_subscription("c", "x"), "user_key_invalid", "user"),
    (
        "migrate_device",
        lambda c, a: c.migrate_subscription("c", a.user, device_name="d" * 26),
        "device_name_invalid",
        "device",
    ),
    ("register", lambda c, a: c.register_device("s", "no spaces"), "device_name_invalid", "device"),
    ("acknowledge", lambda c, a: c.acknowledge_receipt("s", "r"), "receipt_invalid", "receipt"),
]


@pytest.mark.parametrize(
    ("call", "reason", "parameter"),
    [case[1:] for case in LOCAL_CALL_LIMITS],
    ids=[case[0] for case in LOCAL_CALL_LIMITS],
)
async def test_endpoint_limits_are_checked_before_any_request(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    call: LocalCall,
    reason: str,
    parameter: str,
) -> None:
    before = len(simulator.requests)

    err = await raises(PushoverValidationError, call(client, account))

    assert (err.reason, err.parameter) == (reason, parameter)
    assert not hasattr(err, "status")  # refused locally: no HTTP answer
    assert len(simulator.requests) == before


@pytest.mark.parametrize(
    ("check", "good"),
    [
        (validate_key, KEY),
        (validate_receipt, "r" * 30),
        (validate_device_name, "phone"),
        (validate_email, "someone@example.com"),
    ],
)
def test_a_trailing_newline_is_refused(check: Callable[[str], None], good: str) -> None:
    check(good)
    with pytest.raises(PushoverValidationError):
        check(f"{good}\n")
