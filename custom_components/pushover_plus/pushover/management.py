"""The account management endpoints: delivery groups, teams, licensing, subscriptions."""

from .exceptions import PushoverRequestError
from .models import GroupInfo, GroupMember, GroupSummary, TeamInfo
from .parsing import parse_int, parse_objects, parse_text, required_text
from .transport import Transport
from .validation import (
    validate_device_name,
    validate_email,
    validate_group_name,
    validate_key,
    validate_license_target,
    validate_memo,
    validate_subscription,
)


class ManagementApi:
    """PushoverClient's endpoints that manage groups, teams, licenses and subscriptions."""

    _transport: Transport

    # ------------------------------------------------------------ delivery groups

    async def create_group(self, name: str) -> str:
        """POST groups.json; returns the new group key."""
        validate_group_name(name)
        data = await self._transport.post("groups.json", {"name": name})
        return required_text(data, "group")

    async def list_groups(self) -> list[GroupSummary]:
        """GET groups.json."""
        data = await self._transport.get("groups.json")
        return [
            GroupSummary(
                required_text(item, "group", data.get("request")), str(item.get("name") or "")
            )
            for item in parse_objects(data, "groups")
        ]

    async def get_group(self, group_key: str) -> GroupInfo:
        """GET groups/{key}.json."""
        validate_key(group_key, "group")
        data = await self._transport.get(f"groups/{group_key}.json")
        return GroupInfo(
            name=str(data.get("name") or ""),
            users=[
                GroupMember(
                    user=required_text(item, "user", data.get("request")),
                    device=parse_text(item.get("device")),
                    memo=str(item.get("memo") or ""),
                    disabled=bool(parse_int(item.get("disabled"))),
                )
                for item in parse_objects(data, "users")
            ],
        )

    async def rename_group(self, group_key: str, name: str) -> None:
        """POST groups/{key}/rename.json."""
        validate_key(group_key, "group")
        validate_group_name(name)
        await self._transport.post(f"groups/{group_key}/rename.json", {"name": name})

    async def group_add_user(
        self, group_key: str, user: str, device: str | None = None, memo: str | None = None
    ) -> None:
        """POST groups/{key}/add_user.json."""
        _check_membership(group_key, user, device)
        validate_memo(memo)
        await self._transport.post(
            f"groups/{group_key}/add_user.json", {"user": user, "device": device, "memo": memo}
        )

    async def group_remove_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/delete_user.json, falling back to remove_user.json on 404."""
        _check_membership(group_key, user, device)
        params = {"user": user, "device": device}
        try:
            await self._transport.post(f"groups/{group_key}/delete_user.json", params)
        except PushoverRequestError as err:
            if err.status != 404:
                raise
            await self._transport.post(f"groups/{group_key}/remove_user.json", params)

    async def group_enable_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/enable_user.json."""
        _check_membership(group_key, user, device)
        await self._transport.post(
            f"groups/{group_key}/enable_user.json", {"user": user, "device": device}
        )

    async def group_disable_user(
        self, group_key: str, user: str, device: str | None = None
    ) -> None:
        """POST groups/{key}/disable_user.json."""
        _check_membership(group_key, user, device)
        await self._transport.post(
            f"groups/{group_key}/disable_user.json", {"user": user, "device": device}
        )

    # ------------------------------------------------------------ teams

    async def team_add_user(
        self,
        team_token: str,
        email: str,
        *,
        name: str | None = None,
        password: str | None = None,
        instant: bool = False,
        admin: bool = False,
        group: str | None = None,
    ) -> None:
        """POST teams/add_user.json."""
        validate_key(team_token, "token")
        validate_email(email)
        await self._transport.post(
            "teams/add_user.json",
            {
                "email": email,
                "name": name,
                "password": password,
                "instant": "true" if instant else None,
                "admin": "true" if admin else None,
                "group": group,
            },
            token=team_token,
        )

    async def team_remove_user(self, team_token: str, email: str) -> None:
        """POST teams/remove_user.json."""
        validate_key(team_token, "token")
        validate_email(email)
        await self._transport.post("teams/remove_user.json", {"email": email}, token=team_token)

    async def get_team(self, team_token: str) -> TeamInfo:
        """GET teams.json."""
        validate_key(team_token, "token")
        data = await self._transport.get("teams.json", token=team_token)
        users = data.get("users")
        return TeamInfo(
            name=data.get("name"),
            users=[dict(user) for user in users] if isinstance(users, list) else [],
            raw=dict(data),
        )

    # ------------------------------------------------------------ licensing and subscriptions

    async def assign_license(
        self, *, user: str | None = None, email: str | None = None, os: str | None = None
    ) -> int:
        """POST licenses/assign.json; returns the remaining credits."""
        validate_license_target(user, email, os)
        data = await self._transport.post(
            "licenses/assign.json", {"user": user, "email": email, "os": os}
        )
        return parse_int(data.get("credits"))

    async def get_license_credits(self) -> int:
        """GET licenses.json."""
        data = await self._transport.get("licenses.json")
        return parse_int(data.get("credits"))

    async def migrate_subscription(
        self,
        subscription: str,
        user: str,
        *,
        device_name: str | None = None,
        sound: str | None = None,
    ) -> str:
        """POST subscriptions/migrate.json; returns the subscribed user key."""
        validate_subscription(subscription)
        validate_key(user)
        if device_name:
            validate_device_name(device_name)
        data = await self._transport.post(
            "subscriptions/migrate.json",
            {
                "subscription": subscription,
                "user": user,
                "device_name": device_name,
                "sound": sound,
            },
        )
        return required_text(data, "subscribed_user_key")


def _check_membership(group_key: str, user: str, device: str | None) -> None:
    validate_key(group_key, "group")
    validate_key(user)
    if device:
        validate_device_name(device)
