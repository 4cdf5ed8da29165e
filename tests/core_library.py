"""A stand-in for pushover_complete 1.2.0, the library of the built-in pushover integration.

The library is not installed here (Home Assistant installs it with the integration). This
module answers what the built-in integration's code (homeassistant.components.pushover,
which is installed) calls, and makes the requests that pushover_complete 1.2.0 makes, as
its source shows: ``send_message`` posts the fourteen message parameters as a form
(requests leaves out those that are None and sends the others as text, an empty device
list as ``device=``), with the image as a multipart file named after the file when
there is one; ``validate`` posts users/validate.json; ``cancel_receipt`` posts
receipts/<receipt>/cancel.json. A status other than 1 raises BadAPIRequestError.

With it, the built-in integration itself runs against the simulator, so a test can put
what it sends next to what Pushover Plus sends for the same automation.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import urljoin

import requests

PUSHOVER_API_URL = "https://api.pushover.net/1/"  # a test points it at the simulator
TIMEOUT = 10


class BadAPIRequestError(Exception):
    """Pushover answered with a status other than 1."""


class PushoverAPI:
    """An application token and the calls the built-in integration makes."""

    def __init__(self, token: str) -> None:
        """Keep the token."""
        self.token = token

    def _post(
        self, path: str, payload: dict[str, Any], files: dict[str, IO[bytes]] | None = None
    ) -> dict[str, Any]:
        response = requests.post(
            urljoin(PUSHOVER_API_URL, path),
            data={**payload, "token": self.token},
            files=files,
            timeout=TIMEOUT,
        )
        body: dict[str, Any] = response.json()
        if body.get("status") != 1:
            raise BadAPIRequestError(f"{response.status_code}: {': '.join(body.get('errors', []))}")
        return body

    def validate(self, user: str, device: str | None = None) -> dict[str, Any]:
        """POST users/validate.json."""
        return self._post("users/validate.json", {"user": user, "device": device})

    def send_message(
        self,
        user: str,
        message: str,
        device: str | None = None,
        title: str | None = None,
        url: str | None = None,
        url_title: str | None = None,
        image: IO[bytes] | None = None,
        priority: int | None = None,
        retry: int | None = None,
        expire: int | None = None,
        callback_url: str | None = None,
        timestamp: int | None = None,
        sound: str | None = None,
        html: int = 0,
        ttl: int | None = None,
    ) -> dict[str, Any]:
        """POST messages.json (the built-in integration passes an open file as image)."""
        payload = {
            "user": user,
            "message": message,
            "device": device,
            "title": title,
            "url": url,
            "url_title": url_title,
            "priority": priority,
            "retry": retry,
            "expire": expire,
            "callback": callback_url,
            "timestamp": timestamp,
            "sound": sound,
            "html": html,
            "ttl": ttl,
        }
        return self._post(
            "messages.json", payload, None if image is None else {"attachment": image}
        )

    def cancel_receipt(self, receipt: str) -> dict[str, Any]:
        """POST receipts/<receipt>/cancel.json."""
        return self._post(f"receipts/{receipt}/cancel.json", {})
