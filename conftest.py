"""Project-wide pytest fixtures: the emulators' fixtures live in maatchaa/testing/."""

pytest_plugins = [
    "maatchaa.testing.youtube_fixtures",
    "maatchaa.testing.shopify_fixtures",
]
