"""Fixtures that start the YouTube emulator on loopback for tests."""
