"""Scoring rules saved in the app: versions, the rules in force, checks and differences."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import FacebookLead, Role, ScoringRuleSet
from app.services import lead_derived, scoring_fields, scoring_rules
from app.services.lead_scoring import DEFAULT_RULES
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from tests import factories

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def raw_lead(n: int) -> dict:
    return {
        "id": str(20_000_000 + n),
        "created_time": (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "form_id": "300000000000001",
        "field_data": [
            {"name": "full_name", "values": [f"Ayşe Yılmaz {n}"]},
            {"name": "phone_number", "values": [f"0532 {n:07d}"]},
            {"name": "email", "values": [f"lead{n}@example.com"]},
        ],
    }


def ingest(n: int) -> FacebookLead:
    distributor = factories.make_distributor()
    source = LeadSource(distributor.id, "100000000000001", "300000000000001", None)
    result = ingest_raw_leads([raw_lead(n)], source, now=NOW, announce_events=False)
    db.session.commit()
    return db.session.get(FacebookLead, result.created_ids[0])


def form_of(rules, **changes) -> dict[str, str]:
    return {k: str(v) for k, v in (scoring_fields.flat_values(rules) | changes).items()}


def test_the_defaults_are_version_0_until_a_version_is_saved(app_ctx):
    assert scoring_rules.current_version() == 0
    assert scoring_rules.current_rules() == DEFAULT_RULES
    assert scoring_rules.from_json(scoring_rules.to_json(DEFAULT_RULES)) == DEFAULT_RULES


def test_a_saved_version_changes_the_score_of_a_newly_ingested_lead(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    before = ingest(1)
    assert before.score_breakdown["contact"] == 30
    rules = scoring_fields.parse_rules(form_of(DEFAULT_RULES, phone_points=2))
    saved = scoring_rules.save_rules(rules, user=admin, note="phones are cheap")
    db.session.commit()
    after = ingest(2)
    assert saved.id == scoring_rules.current_version() == 1
    assert after.score_breakdown["contact"] == 20
    assert after.score == before.score - 10


def test_an_edited_lead_is_scored_with_the_rules_in_force(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    lead = factories.make_lead(service="hair_transplant")
    scoring_rules.save_rules(replace(DEFAULT_RULES, name_points=1), user=admin)
    lead_derived.rescore(lead, now=NOW)
    assert lead.score_breakdown["contact"] == 12 + 10 + 1


def test_a_rule_saved_in_another_process_is_read_at_the_next_app_context(app):
    with app.app_context():
        admin = factories.make_user("boss", role=Role.SUPERADMIN)
        assert scoring_rules.current_rules() == DEFAULT_RULES
        db.session.add(
            ScoringRuleSet(
                rules=scoring_rules.to_json(replace(DEFAULT_RULES, hot_from=80)),
                created_by_id=admin.id,
            )
        )
        db.session.commit()  # as another process would: this context keeps what it read
        assert scoring_rules.current_rules().hot_from == 70
    with app.app_context():
        assert scoring_rules.current_rules().hot_from == 80


def test_saving_the_rules_in_force_again_is_refused(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    with pytest.raises(scoring_rules.UnchangedRulesError):
        scoring_rules.save_rules(DEFAULT_RULES, user=admin)
    assert db.session.query(ScoringRuleSet).count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone_points": "twelve"}, "phone_points"),
        ({"phone_points": "-1"}, "phone_points"),
        ({"service_ivf": "101"}, "service_ivf"),
        ({"fresh_1_hours": "1"}, "fresh_1_hours"),  # not longer than step 1's hour
        ({"age_0_high": "20"}, "age_0_high"),  # below the band's first age 25
        ({"warm_from": "70"}, "warm_from"),  # not below hot
        ({"phone_points": "20"}, scoring_fields.FORM_ERROR),  # 108 points in all
    ],
)
def test_invalid_rules_are_refused_with_the_field_that_is_wrong(app_ctx, changes, field):
    with pytest.raises(scoring_fields.InvalidRulesError) as refused:
        scoring_fields.parse_rules(form_of(DEFAULT_RULES, **changes))
    assert field in refused.value.errors


def test_history_lists_each_version_with_what_it_changed(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    scoring_rules.save_rules(replace(DEFAULT_RULES, phone_points=5), user=admin, note="one")
    scoring_rules.save_rules(
        replace(DEFAULT_RULES, phone_points=5, warm_from=30), user=admin, note="two"
    )
    newest, first, defaults = scoring_rules.list_versions()
    assert (newest.version, newest.note, newest.created_by) == (2, "two", "boss")
    assert newest.changes == [("Score tiers · Warm from score", 40, 30)]
    assert first.changes == [("Contact details · Valid phone", 12, 5)]
    assert (defaults.version, defaults.changes) == (0, [])
