"""Tests for Pushover Plus."""
