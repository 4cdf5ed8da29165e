"""Tests of the Pushover simulator (pushover_simulator/), a test tool, not the product."""
