"""Local stand-ins for the vendors Maatchaa talks to: YouTube's Data API and Shopify's Admin API.

Django-free (the management commands aside) and imported only by tests, benchmarks, the evaluation and the
`demo` command: the app itself reaches them only over HTTP, through the same clients that talk to the real
services. `youtube/` is split into the corpus and its search, the fake API, and the HTTP server.
"""
