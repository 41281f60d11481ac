"""Leads as JSON for the API and the live dashboard (values, never markup)."""

from typing import Any

from app.meta.treatments import treatment_label
from app.models import FacebookLead, LeadInteraction
from app.services import patient_time


def iso(value) -> str | None:
    return value.isoformat() if value else None


def lead_summary(lead: FacebookLead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.full_name,
        "email": lead.email,
        "phone": lead.phone,
        "phone_raw": lead.phone_raw,
        "service": lead.service,
        "service_label": treatment_label(lead.service) if lead.service else None,
        "score": lead.score,
        "score_breakdown": lead.score_breakdown,
        "status": lead.status.value,
        "distributor": lead.distributor.name if lead.distributor else None,
        "assigned_to": lead.assigned_to.username if lead.assigned_to else None,
        "assigned_to_id": lead.assigned_to_id,
        "platform": lead.platform,
        "source": lead.source,
        "is_test": lead.is_test,
        "duplicate_of_id": lead.duplicate_of_id,
        "received_at": iso(lead.meta_created_at),
        "do_not_contact": lead.do_not_contact,
        "do_not_contact_reason": lead.do_not_contact_reason,
        "do_not_contact_at": iso(lead.do_not_contact_at),
        "version_id": lead.version_id,
    }


def lead_detail(lead: FacebookLead, interactions: list[LeadInteraction]) -> dict[str, Any]:
    return lead_summary(lead) | {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "city": lead.city,
        "country": lead.country,
        "notes": lead.notes,
        "date_of_birth": iso(lead.date_of_birth),
        "age": lead.age,
        "consent": lead.consent,
        "answers": lead.form_data,
        "attribution": {
            "campaign_id": lead.campaign_id,
            "campaign_name": lead.campaign_name,
            "adset_id": lead.adset_id,
            "adset_name": lead.adset_name,
            "ad_id": lead.ad_id,
            "ad_name": lead.ad_name,
            "form_id": lead.meta_form_id,
            "page_id": lead.meta_page_id,
            "is_organic": lead.is_organic,
        },
        "meta_lead_id": lead.meta_lead_id,
        "first_contacted_at": iso(lead.first_contacted_at),
        "converted_at": iso(lead.converted_at),
        "patient_time_zone": patient_time.lead_zone(lead),
        "timeline": [interaction_json(i) for i in interactions],
    }


def interaction_json(item: LeadInteraction) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.interaction_type.value,
        "description": item.description,
        "result": item.result,
        "user": item.user.username if item.user else None,
        "created_at": iso(item.created_at),
    }
