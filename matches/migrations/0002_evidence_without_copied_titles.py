"""Creator evidence names its videos by id only: the titles copied into it at match time are removed.

Readers add each video's current stored title (matches.selectors), so a title YouTube changed shows as
changed, and no copy of YouTube's text outlives the video's refresh or the 30-day rule (issue #19).
"""

from django.db import migrations

STRIP_TITLES = """
UPDATE matches_creatormatch
SET evidence = jsonb_set(
    evidence,
    '{videos}',
    (SELECT coalesce(
        jsonb_agg(CASE WHEN jsonb_typeof(e.v) = 'object' THEN e.v - 'title' ELSE e.v END ORDER BY e.n),
        '[]'::jsonb)
     FROM jsonb_array_elements(evidence -> 'videos') WITH ORDINALITY AS e(v, n))
)
WHERE jsonb_typeof(evidence -> 'videos') = 'array'
  AND EXISTS (SELECT 1 FROM jsonb_array_elements(evidence -> 'videos') AS x(v)
              WHERE jsonb_typeof(x.v) = 'object' AND x.v ? 'title')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("matches", "0001_initial"),
    ]

    operations = [
        # Nothing to restore going back: the titles are read from the videos either way.
        migrations.RunSQL(STRIP_TITLES, reverse_sql=migrations.RunSQL.noop),
    ]
