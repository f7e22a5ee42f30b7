"""What campaigns found: the gap between promise and experience per criterion, NPS, CSAT, comments, trends, the
follow-ups list and the internal customer map. Recording the scores as readings, revising the definition and
changing a follow-up are writes: customers.services.results.

Each criterion is answered once on one 1-7 scale that holds the comparison with the promise (1 far worse than
promised, 4 as promised, 7 far better): below 4 is worse than promised, above 4 better.

Gap score: share of answers worse than promised minus share better than promised, in percentage points, over all
of a campaign's answers: +100 means every answer was worse than promised, 0 balanced, -100 all better. Lower is
better. It reads directly as "how many more people were let down than pleasantly surprised".
"""

import math
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, F, Q
from django.utils import timezone

from customers.models import INTERNAL_MINIMUM, Answer, Campaign, Customer, FollowUp, FollowUpQuerySet, Response
from customers.selectors.visibility import visible_follow_ups
from org import access

FEW_ANSWERS = 30  # below this, results carry a margin-of-error note
COMMENTS_SHOWN = 200
TREND_CAMPAIGNS = 12

WORSE, AS_PROMISED, BETTER = (Answer.Comparison.WORSE, Answer.Comparison.AS_PROMISED, Answer.Comparison.BETTER)


def margin_points(n: int) -> int:
    """The 95% margin of error of a share from n answers, at its widest (a share of 50%), in points."""
    return round(100 * 1.96 * math.sqrt(0.25 / n)) if n else 100


def confidence_note(n: int) -> str:
    if n == 0:
        return "No answers yet."
    if n < FEW_ANSWERS:
        return f"Few answers ({n}): shares are uncertain by about ±{margin_points(n)} points."
    return ""


def _share(part: int, n: int) -> float | None:
    return round(100 * part / n, 1) if n else None


@dataclass
class QuestionResult:
    question_id: int
    promise: str
    criterion_id: int | None
    n: int
    worse: int
    as_promised: int
    better: int
    mean_rating: float | None

    @property
    def share_worse(self):
        return _share(self.worse, self.n)

    @property
    def share_as_promised(self):
        return _share(self.as_promised, self.n)

    @property
    def share_better(self):
        return _share(self.better, self.n)

    @property
    def gap(self) -> float | None:
        """Share worse minus share better, in points (lower is better)."""
        return round(100 * (self.worse - self.better) / self.n, 1) if self.n else None

    @property
    def confidence_note(self) -> str:
        return confidence_note(self.n)


@dataclass
class TrendPoint:
    campaign_id: int
    title: str
    ends_on: object
    gap: float | None
    nps: float | None
    csat: float | None
    responses: int


@dataclass
class CampaignResults:
    campaign: Campaign
    responses: int
    hidden: bool  # internal campaign with too few responses to show anything
    questions: list[QuestionResult] = field(default_factory=list)
    gap: float | None = None
    nps: float | None = None
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    csat: float | None = None
    csat_n: int = 0
    comments: list[str] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    open_follow_ups: int = 0

    @property
    def confidence_note(self) -> str:
        return confidence_note(self.responses)

    @property
    def minimum(self) -> int:
        return INTERNAL_MINIMUM

    @property
    def worst(self) -> QuestionResult | None:
        answered = [q for q in self.questions if q.n]
        return max(answered, key=lambda q: (q.gap, -q.question_id), default=None)


def _comparison_counts(prefix: str = "") -> dict:
    """Answers counted by the side of the promise their rating falls on (below 4, 4, above 4)."""
    return {
        "n": Count("pk"),
        "worse": Count("pk", filter=Answer.compared(WORSE, prefix)),
        "as_promised": Count("pk", filter=Answer.compared(AS_PROMISED, prefix)),
        "better": Count("pk", filter=Answer.compared(BETTER, prefix)),
    }


def _response_scores():
    return {
        "responses": Count("pk"),
        "nps_n": Count("nps"),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "csat_mean": Avg("csat"),
        "csat_n": Count("csat"),
    }


def _nps(promoters: int, detractors: int, n: int) -> float | None:
    """Net promoter score: share of promoters (9-10) minus share of detractors (0-6), in points."""
    return round(100 * (promoters - detractors) / n, 1) if n else None


def _gap(worse: int, better: int, n: int) -> float | None:
    return round(100 * (worse - better) / n, 1) if n else None


def campaign_results(campaign: Campaign, *, with_trend: bool = True) -> CampaignResults:
    """Everything the results page shows, in at most six queries whatever the number of responses:
    response scores, per-question counts, open follow-ups, comments, and (trend) answers and scores per campaign.
    """
    scores = Response.objects.filter(campaign=campaign).aggregate(**_response_scores())
    n = scores["responses"]
    hidden = campaign.audience == Customer.Kind.INTERNAL and n < INTERNAL_MINIMUM
    results = CampaignResults(campaign=campaign, responses=n, hidden=hidden)
    if hidden:
        return results
    rows = campaign.questions.order_by("position", "pk").annotate(
        n=Count("answers"),
        worse=Count("answers", filter=Answer.compared(WORSE, "answers__")),
        as_promised=Count("answers", filter=Answer.compared(AS_PROMISED, "answers__")),
        better=Count("answers", filter=Answer.compared(BETTER, "answers__")),
        mean_rating=Avg("answers__rating"),
    )
    results.questions = [
        QuestionResult(
            question_id=q.pk,
            promise=q.promise,
            criterion_id=q.criterion_id,
            n=q.n,
            worse=q.worse,
            as_promised=q.as_promised,
            better=q.better,
            mean_rating=round(q.mean_rating, 2) if q.mean_rating is not None else None,
        )
        for q in rows
    ]
    total = sum(q.n for q in results.questions)
    results.gap = _gap(sum(q.worse for q in results.questions), sum(q.better for q in results.questions), total)
    results.nps_n, results.promoters, results.detractors = scores["nps_n"], scores["promoters"], scores["detractors"]
    results.nps = _nps(scores["promoters"], scores["detractors"], scores["nps_n"])
    results.csat_n = scores["csat_n"]
    results.csat = round(scores["csat_mean"], 2) if scores["csat_mean"] is not None else None
    results.open_follow_ups = FollowUp.objects.filter(campaign=campaign).open().count()
    # Comments carry no name or date, and internal ones are shown in text order, so none can be traced back.
    comments = Response.objects.filter(campaign=campaign).exclude(comment="")
    comments = (
        comments.order_by("comment")
        if campaign.audience == Customer.Kind.INTERNAL
        else comments.order_by("-submitted_at")
    )
    results.comments = list(comments.values_list("comment", flat=True)[:COMMENTS_SHOWN])
    if with_trend:
        results.trend = definition_trend(campaign)
    return results


def definition_trend(campaign: Campaign) -> list[TrendPoint]:
    """Gap, NPS and CSAT of the definition's latest campaigns for the same department and audience, oldest first
    (three queries). Internal campaigns with too few responses appear without figures."""
    recent = list(
        Campaign.objects.filter(
            definition_id=campaign.definition_id, department_id=campaign.department_id, audience=campaign.audience
        )
        .launched()
        .order_by("-ends_on", "-pk")
        .values("pk", "title", "ends_on")[:TREND_CAMPAIGNS]
    )
    ids = [c["pk"] for c in recent]
    scores = {
        row["campaign"]: row
        for row in Response.objects.filter(campaign__in=ids).values("campaign").annotate(**_response_scores())
    }
    counts = {
        row["question__campaign"]: row
        for row in Answer.objects.filter(question__campaign__in=ids)
        .values("question__campaign")
        .annotate(**_comparison_counts())
    }
    points = []
    for c in reversed(recent):
        score = scores.get(c["pk"], {"responses": 0})
        count = counts.get(c["pk"])
        n = score["responses"]
        if not n or (campaign.audience == Customer.Kind.INTERNAL and n < INTERNAL_MINIMUM):
            points.append(TrendPoint(c["pk"], c["title"], c["ends_on"], None, None, None, n))
            continue
        points.append(
            TrendPoint(
                c["pk"],
                c["title"],
                c["ends_on"],
                gap=_gap(count["worse"], count["better"], count["n"]) if count else None,
                nps=_nps(score["promoters"], score["detractors"], score["nps_n"]),
                csat=round(score["csat_mean"], 2) if score["csat_mean"] is not None else None,
                responses=n,
            )
        )
    return points


# --- from a gap to a goal or a revision ------------------------------------------------------------------------


def gap_summary(results: CampaignResults, question: QuestionResult | None = None) -> str:
    """One sentence on the gap, for a goal's description or a revision note."""
    q = question or results.worst
    c = results.campaign
    if q is None:
        return f"Reality check “{c.title}” ({c.ends_on:%d %b %Y}): {results.responses} responses."
    return (
        f"Reality check “{c.title}” ({c.ends_on:%d %b %Y}): on “{q.promise}”, {q.share_worse:g}% of {q.n} "
        f"answers were worse than promised and {q.share_better:g}% better (gap {q.gap:+g} points, mean rating "
        f"{q.mean_rating:g} of 7)."
    )


# --- follow-ups --------------------------------------------------------------------------------------------------


def follow_up_stats(queryset) -> dict:
    """Open, overdue and closed counts and the mean days to close, in one query."""
    today = timezone.localdate()
    stats = queryset.aggregate(
        open=Count("pk", filter=FollowUpQuerySet.open_q()),
        overdue=Count("pk", filter=FollowUpQuerySet.overdue_q(today)),
        closed=Count("pk", filter=Q(status=FollowUp.Status.CLOSED)),
        closed_on_time=Count("pk", filter=Q(status=FollowUp.Status.CLOSED, closed_at__date__lte=F("due_date"))),
        time_to_close=Avg(
            F("closed_at") - F("created_at"),
            output_field=DurationField(),
            filter=Q(status=FollowUp.Status.CLOSED, closed_at__isnull=False),
        ),
    )
    duration = stats.pop("time_to_close")
    stats["days_to_close"] = round(duration.total_seconds() / 86400, 1) if duration is not None else None
    return stats


def listed_follow_ups(user, *, campaign_id: int | None = None, mine: bool = False, status: str = "open"):
    """The follow-ups the list shows the person, and the figures above it: (follow-ups, follow_up_stats()).

    Those they may see (customers.selectors.visibility), of one campaign if campaign_id, only theirs if mine.
    The figures count every status; the rows are the "open" ones, the "closed" ones, or (any other status) all,
    open first then by due date, with what their rows show.
    """
    follow_ups = visible_follow_ups(user)
    if campaign_id:
        follow_ups = follow_ups.filter(campaign_id=campaign_id)
    if mine:
        follow_ups = follow_ups.filter(owner=user)
    stats = follow_up_stats(follow_ups)
    if status == "open":
        follow_ups = follow_ups.open()
    elif status == "closed":
        follow_ups = follow_ups.closed()
    follow_ups = follow_ups.select_related("campaign", "department", "owner", "response__recipient__customer")
    return follow_ups.order_by("status", "due_date", "-created_at", "pk"), stats


# --- internal customer map ---------------------------------------------------------------------------------------


@dataclass
class Edge:
    customer_id: int
    supplier: object
    served: object
    score: float | None  # mean rating 1-7 of the latest campaign the served department answered (4 = as promised)
    gap: float | None
    responses: int
    campaign_title: str = ""
    ends_on: object = None

    @property
    def too_few(self) -> bool:
        return 0 < self.responses < INTERNAL_MINIMUM

    @property
    def bar(self) -> int:
        """The score as a share of the 1-7 scale, for the bar's width."""
        return round(100 * (self.score - 1) / 6) if self.score is not None else 0


def internal_map(user) -> list[Edge]:
    """Which departments serve which (internal Customer rows: supplier -> customer department), each with the
    latest satisfaction score; weakest first, unscored last. Edges where the user may see either end; two queries.

    A score shows only when at least INTERNAL_MINIMUM people of the served department answered that campaign.
    """
    visible = access.visible_departments(user)
    customers = list(
        Customer.objects.filter(kind=Customer.Kind.INTERNAL)
        .filter(Q(department__in=visible) | Q(internal_department__in=visible))
        .select_related("department", "internal_department")
    )
    latest = {}
    for row in (
        Answer.objects.filter(response__recipient__customer__in=[c.pk for c in customers])
        .values(
            "response__recipient__customer",
            "response__campaign",
            "response__campaign__title",
            "response__campaign__ends_on",
        )
        .annotate(mean=Avg("rating"), responses=Count("response", distinct=True), **_comparison_counts())
        .order_by("response__recipient__customer", "-response__campaign__ends_on", "-response__campaign")
    ):
        latest.setdefault(row["response__recipient__customer"], row)
    edges = []
    for customer in customers:
        row = latest.get(customer.pk)
        shown = row is not None and row["responses"] >= INTERNAL_MINIMUM
        edges.append(
            Edge(
                customer_id=customer.pk,
                supplier=customer.department,
                served=customer.internal_department,
                score=round(row["mean"], 2) if shown else None,
                gap=_gap(row["worse"], row["better"], row["n"]) if shown else None,
                responses=row["responses"] if row else 0,
                campaign_title=row["response__campaign__title"] if row else "",
                ends_on=row["response__campaign__ends_on"] if row else None,
            )
        )
    edges.sort(key=lambda e: (e.score is None, e.score if e.score is not None else 0, e.supplier.name, e.served.name))
    return edges
