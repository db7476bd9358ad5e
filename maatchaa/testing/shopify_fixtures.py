"""Fixtures that start the Shopify emulator on loopback for tests."""
