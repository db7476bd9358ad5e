"""What a discovery announces as it goes, for whoever listens (the evaluation; nothing in production).

Products interleave (pipeline/discover.py), so the log's order does not say which product asked a
search: this does.
"""

from __future__ import annotations

from django.dispatch import Signal

# A product's search was answered, by YouTube or from storage: sender=_Pipeline, product (its Product row),
# search (discovery.queries.Search), video_ids (list[str]: what the answer returned, in its order).
search_answered = Signal()
