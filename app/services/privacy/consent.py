"""Consent as Meta reported it: the answers to the form's disclaimer checkboxes."""

from dataclasses import dataclass

from app.meta.normalize import is_checked
from app.models import FacebookLead


@dataclass(frozen=True)
class ConsentAnswer:
    checkbox: str | None  # Meta's checkbox key (the form's own words are not sent)
    checked: bool


def answers(lead: FacebookLead) -> list[ConsentAnswer]:
    """Each disclaimer checkbox of the lead's form and whether the person ticked it; empty
    when the form asked for no consent."""
    responses = lead.consent_responses if isinstance(lead.consent_responses, list) else []
    return [
        ConsentAnswer(
            str(r["checkbox_key"]) if r.get("checkbox_key") else None,
            is_checked(r.get("is_checked")),
        )
        for r in responses
        if isinstance(r, dict)
    ]
