"""Project-wide pytest fixtures: the emulators' fixtures live in emulators/testing/."""

pytest_plugins = [
    "emulators.testing.youtube_fixtures",
    "emulators.testing.shopify_fixtures",
]
