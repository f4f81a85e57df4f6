"""Shared fixtures: the bundled reference server, started as a real loopback process."""

pytest_plugins = ["tests.support.reference"]
