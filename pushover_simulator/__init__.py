"""A stateful Pushover API simulator for tests and development."""

from .server import PushoverSimulator
from .state import Delivery, ReceiptState, RecordedRequest

__all__ = ["Delivery", "PushoverSimulator", "ReceiptState", "RecordedRequest"]
