"""Tests of the Pushover client package (pushover/), free of Home Assistant."""
