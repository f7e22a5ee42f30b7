"""The customer's questionnaire: per question how it compared with the promise and a 1-7 rating; comment, NPS, CSAT."""

from django import forms

from customers.models import Answer, Campaign, CampaignQuestion
from customers.services.answers import AnswerRow

RATINGS = [(n, str(n)) for n in range(1, 8)]
NPS_CHOICES = [(n, str(n)) for n in range(0, 11)]
CSAT_CHOICES = [(1, "Very dissatisfied"), (2, "Dissatisfied"), (3, "Neutral"), (4, "Satisfied"),
                (5, "Very satisfied")]


class AnswerForm(forms.Form):
    """Built from the campaign's questions. `partial=True` (Save for later) requires nothing."""

    comment = forms.CharField(required=False, max_length=4000, label="Anything else you want to tell us?",
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, campaign: Campaign, questions: list[CampaignQuestion], partial: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}_comparison"] = forms.ChoiceField(
                choices=Answer.Comparison.choices, widget=forms.RadioSelect, required=not partial,
                label=question.prompt or "How did your experience compare?",
                error_messages={"required": "Choose how this compared with what we promised."})
            self.fields[f"q{question.pk}_rating"] = forms.TypedChoiceField(
                choices=RATINGS, coerce=int, widget=forms.RadioSelect, required=not partial,
                label="Your rating, from 1 (far worse) to 7 (far better)",
                error_messages={"required": "Choose a rating from 1 to 7."})
        if campaign.include_nps:
            self.fields["nps"] = forms.TypedChoiceField(
                choices=NPS_CHOICES, coerce=int, empty_value=None, required=False, widget=forms.RadioSelect,
                label="How likely are you to recommend us, from 0 (not at all) to 10 (extremely)?")
        if campaign.include_csat:
            self.fields["csat"] = forms.TypedChoiceField(
                choices=CSAT_CHOICES, coerce=int, empty_value=None, required=False, widget=forms.RadioSelect,
                label="Overall, how satisfied are you?")

    def blocks(self):
        """(question, comparison field, rating field) per question, for the template."""
        return [(q, self[f"q{q.pk}_comparison"], self[f"q{q.pk}_rating"]) for q in self.questions]

    def draft_data(self) -> dict:
        """What was answered so far, as JSON for Recipient.draft (unanswered fields left out)."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    def answer_rows(self) -> list[AnswerRow]:
        data = self.cleaned_data
        return [AnswerRow(question=q, comparison=data[f"q{q.pk}_comparison"], rating=data[f"q{q.pk}_rating"])
                for q in self.questions]
