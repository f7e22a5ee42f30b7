"""URLs of customers: the customer list, campaigns, results (namespace customers), and the public answer page."""

from django.urls import path

from customers.views import campaigns, customers, public, results

app_name = "customers"

urlpatterns = [
    # The customer list
    path("", customers.index, name="index"),
    path("add/", customers.customer_add, name="customer_add"),
    path("<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("<int:pk>/opt-out/", customers.customer_opt_out, name="customer_opt_out"),
    path("internal/<int:department_pk>/", customers.internal, name="internal"),
    path("import/", customers.customer_import, name="import"),
    path("import/<str:token>/", customers.customer_import_preview, name="import_preview"),
    path("import/<str:token>/discard/", customers.customer_import_discard, name="import_discard"),
    # Reality-check campaigns
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/questions/", campaigns.campaign_questions, name="campaign_questions"),
    path("campaigns/<int:pk>/draw/", campaigns.campaign_draw, name="campaign_draw"),
    path("campaigns/<int:pk>/send/", campaigns.campaign_send, name="campaign_send"),
    path("campaigns/<int:pk>/preview/email/", campaigns.campaign_preview_email, name="campaign_preview_email"),
    path("campaigns/<int:pk>/preview/answer/", campaigns.campaign_preview_answer, name="campaign_preview_answer"),
    # Results and follow-ups
    path("results/", results.index, name="results"),
    path("results/<int:pk>/", results.campaign_results, name="campaign_results"),
    path("results/<int:pk>/record-scores/", results.record_scores, name="record_scores"),
    path("results/<int:pk>/goal-from-gap/", results.goal_from_gap, name="goal_from_gap"),
    path("results/<int:pk>/propose-revision/", results.propose_revision, name="propose_revision"),
    path("results/follow-ups/", results.follow_up_list, name="follow_ups"),
    path("results/follow-ups/<int:pk>/", results.follow_up_edit, name="follow_up"),
    path("results/follow-ups/bulk/", results.follow_up_bulk, name="follow_up_bulk"),
    path("results/internal-map/", results.internal_map, name="internal_map"),
]

# The customer's answer page: no account, a single-use expiring link; served at /r/ in the namespace "respond".
public_urlpatterns = [
    path("thanks/", public.thanks, name="thanks"),
    path("<str:token>/", public.answer, name="answer"),
]
