"""One scale per criterion: the separate "worse / as promised / better" answer and the 1-7 rating become one 1-7
rating that holds the comparison with the promise (1 far worse than promised, 4 as promised, 7 far better).

How existing answers keep their meaning. The comparison was the question asked about the promise, so it decides
the side of 4 the new rating falls on; the old rating (1 far worse to 7 far better) keeps its strength within
that side, moved to the nearest value of it when the two contradicted each other:

    worse than promised,  rated 1, 2 or 3  ->  unchanged (1, 2 or 3)
    worse than promised,  rated 4 to 7     ->  3 (slightly worse than promised)
    as promised,          any rating       ->  4 (as promised)
    better than promised, rated 5, 6 or 7  ->  unchanged (5, 6 or 7)
    better than promised, rated 1 to 4     ->  5 (slightly better than promised)

So every share worse / as promised / better, every gap score and every follow-up already opened stays as it
was; only mean ratings of contradictory answers move toward their comparison. Drafts saved for later are mapped
the same way; a draft with a comparison but no rating yet gets the middle of its side (2, 4 or 6), one with a
rating only keeps it. Reversing derives the comparison from the rating's side of 4.
"""

from django.db import migrations, models

SIDE_MIDDLE = {"worse": 2, "as_promised": 4, "better": 6}


def one_rating(comparison: str, rating: int | None) -> int | None:
    if comparison not in SIDE_MIDDLE:
        return rating
    if rating is None:
        return SIDE_MIDDLE[comparison]
    if comparison == "worse":
        return min(rating, 3)
    if comparison == "better":
        return max(rating, 5)
    return 4


def to_one_scale(apps, schema_editor):
    Answer = apps.get_model("customers", "Answer")
    Recipient = apps.get_model("customers", "Recipient")
    Answer.objects.filter(comparison="worse", rating__gt=3).update(rating=3)
    Answer.objects.filter(comparison="as_promised").exclude(rating=4).update(rating=4)
    Answer.objects.filter(comparison="better", rating__lt=5).update(rating=5)
    changed = []
    for recipient in Recipient.objects.filter(submitted_at__isnull=True).exclude(draft={}).only("pk", "draft"):
        draft = dict(recipient.draft or {})
        keys = [key for key in draft if key.startswith("q") and key.endswith("_comparison")]
        if not keys:
            continue
        for key in keys:
            stem = key[: -len("_comparison")]
            rating = draft.get(f"{stem}_rating")
            try:
                rating = int(rating) if rating not in (None, "") else None
            except (TypeError, ValueError):
                rating = None
            draft[f"{stem}_rating"] = one_rating(draft.pop(key), rating)
        recipient.draft = draft
        changed.append(recipient)
    Recipient.objects.bulk_update(changed, ["draft"], batch_size=500)


def to_two_answers(apps, schema_editor):
    Answer = apps.get_model("customers", "Answer")
    Answer.objects.filter(rating__lt=4).update(comparison="worse")
    Answer.objects.filter(rating=4).update(comparison="as_promised")
    Answer.objects.filter(rating__gt=4).update(comparison="better")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(to_one_scale, to_two_answers, elidable=False),
        migrations.RemoveField(
            model_name="answer",
            name="comparison",
        ),
        migrations.AlterField(
            model_name="answer",
            name="rating",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "Far worse than promised"), (2, "Worse than promised"),
                         (3, "Slightly worse than promised"), (4, "As promised"),
                         (5, "Slightly better than promised"), (6, "Better than promised"),
                         (7, "Far better than promised")],
                help_text="1 (far worse than promised), 4 (as promised) to 7 (far better than promised)."),
        ),
    ]
