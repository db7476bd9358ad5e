"""The YouTube emulator: `corpus` (the CSV corpus and its BM25 search), `api` (the fake Data API v3), `server` (HTTP)."""
