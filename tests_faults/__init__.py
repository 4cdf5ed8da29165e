"""Fault suite: a real Home Assistant process behind a fault proxy, killed at chosen moments."""
