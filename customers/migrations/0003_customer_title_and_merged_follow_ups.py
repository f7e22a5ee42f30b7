"""Reality checks get a customer-facing title apart from the internal one; a response's follow-ups are merged.

Until now a response opened one follow-up per low answer (111 follow-ups from 76 responses). From now on it opens
at most one, listing its low answers. Existing ones are merged per response: the earliest is kept; it stays open
(or in progress) while any merged one was, keeps the first owner, the earliest due date, every resolution note and
every reason; a merged one that was entirely closed keeps the latest close.
"""

from django.db import migrations, models

STATUS_RANK = {"in_progress": 0, "open": 1, "closed": 2}  # the state the merged follow-up takes: the least done


def fill_customer_titles(apps, schema_editor):
    Campaign = apps.get_model("customers", "Campaign")
    for campaign in Campaign.objects.all().select_related("department").iterator():
        campaign.customer_title = f"{campaign.department.name}: how did we do?"[:200]
        campaign.save(update_fields=["customer_title"])


def merge_follow_ups(apps, schema_editor):
    FollowUp = apps.get_model("customers", "FollowUp")
    repeated = (
        FollowUp.objects.values("response_id").annotate(n=models.Count("pk")).filter(n__gt=1).values("response_id")
    )
    merged = {}
    for follow_up in FollowUp.objects.filter(response_id__in=repeated).order_by("response_id", "created_at", "pk"):
        merged.setdefault(follow_up.response_id, []).append(follow_up)
    for group in merged.values():
        kept, others = group[0], group[1:]
        statuses = [f.status for f in group]
        kept.status = min(statuses, key=lambda s: STATUS_RANK.get(s, 1))
        kept.owner_id = next((f.owner_id for f in group if f.owner_id), None)
        dues = [f.due_date for f in group if f.due_date]
        kept.due_date = min(dues) if dues else None
        kept.resolution = "\n".join(dict.fromkeys(f.resolution.strip() for f in group if f.resolution.strip()))
        kept.closed_at = max(f.closed_at for f in group if f.closed_at) if kept.status == "closed" else None
        kept.reason = "; ".join(dict.fromkeys(f.reason for f in group))[:300]
        kept.save(update_fields=["status", "owner", "due_date", "resolution", "closed_at", "reason"])
        FollowUp.objects.filter(pk__in=[f.pk for f in others]).delete()


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_one_scale_per_criterion")]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="title",
            field=models.CharField(help_text="The internal name, seen only by colleagues.", max_length=200),
        ),
        migrations.AddField(
            model_name="campaign",
            name="customer_title",
            field=models.CharField(
                default="How did we do?",
                help_text="What the people asked see: the e-mail's subject and the answer page's heading.",
                max_length=200,
            ),
        ),
        migrations.RunPython(fill_customer_titles, migrations.RunPython.noop),
        migrations.RunPython(merge_follow_ups, migrations.RunPython.noop),
    ]
