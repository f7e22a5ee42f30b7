"""The customer's questionnaire: each promise asked once, on one 1-7 scale that holds the comparison with it (1 far
worse than promised, 4 as promised, 7 far better); a comment, NPS, CSAT."""

from django import forms

from customers.models import Answer, Campaign, CampaignQuestion
from customers.services.answers import AnswerRow

NPS_CHOICES = [(n, str(n)) for n in range(0, 11)]
CSAT_CHOICES = [(1, "Very dissatisfied"), (2, "Dissatisfied"), (3, "Neutral"), (4, "Satisfied"), (5, "Very satisfied")]


class AnswerForm(forms.Form):
    """Built from the campaign's questions. `partial=True` (Save for later) requires nothing."""

    comment = forms.CharField(
        required=False,
        max_length=4000,
        label="Anything else you want to tell us?",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, campaign: Campaign, questions: list[CampaignQuestion], partial: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[self.field_name(question)] = forms.TypedChoiceField(
                choices=Answer.Rating.choices,
                coerce=int,
                widget=forms.RadioSelect,
                required=not partial,
                label=question.prompt or "How did your experience compare with this promise?",
                error_messages={
                    "required": "Choose how your experience compared with this promise, from 1 (far "
                    "worse) to 7 (far better); 4 is as promised."
                },
            )
        if campaign.include_nps:
            self.fields["nps"] = forms.TypedChoiceField(
                choices=NPS_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                label="How likely are you to recommend us, from 0 (not at all) to 10 (extremely)?",
            )
        if campaign.include_csat:
            self.fields["csat"] = forms.TypedChoiceField(
                choices=CSAT_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                label="Overall, how satisfied are you?",
            )

    @staticmethod
    def field_name(question: CampaignQuestion) -> str:
        # The name the 1-7 rating had before the scale held the comparison: drafts saved then still fill it in.
        return f"q{question.pk}_rating"

    def blocks(self):
        """(question, rating field) per question, for the template."""
        return [(q, self[self.field_name(q)]) for q in self.questions]

    def missing(self):
        """(number, question) of each question left unanswered in a submitted form, for the list at the top."""
        if not self.is_bound:
            return []
        return [(n, q) for n, q in enumerate(self.questions, start=1) if self.field_name(q) in self.errors]

    def draft_data(self) -> dict:
        """What was answered so far, as JSON for Recipient.draft (unanswered fields left out)."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

    def answer_rows(self) -> list[AnswerRow]:
        data = self.cleaned_data
        return [AnswerRow(question=q, rating=data[self.field_name(q)]) for q in self.questions]
