"""The schema library of the running Home Assistant.

Home Assistant 2026.10 validates with probatio (voluptuous-compatible); older releases,
down to the minimum this integration supports, use voluptuous.
"""

try:
    import probatio as vol
except ImportError:  # pragma: no cover - Home Assistant before probatio
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
