"""Saving rules: an impossible rule is refused with a clear message."""

import pytest

from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.services.routing import rules
from tests import factories


@pytest.fixture
def staff(app_ctx):
    made = [factories.make_user(f"staff{i}") for i in range(3)]
    db.session.commit()
    return [u.id for u in made]


def rule_input(staff, **changes):
    return rules.RuleInput(**({"name": "Hair, German", "staff_ids": staff} | changes))


def test_a_rule_is_saved_with_its_staff_in_order(staff):
    rule = rules.create_rule(
        rule_input(staff[::-1], treatment="hair_transplant", country_code="de")
    )
    db.session.commit()
    assert [m.user_id for m in rule.staff] == staff[::-1]
    assert (rule.country_code, rule.treatment, rule.cursor) == ("DE", "hair_transplant", -1)
    assert "country=DE" in rules.describe_conditions(rule)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"staff_ids": []}, "at least one person"),
        ({"capacity": 0}, "at least 1"),
        ({"score_min": 80, "score_max": 20}, "no lead could match"),
        ({"score_min": 120}, "0 to 100"),
        ({"country_code": "DEU"}, "two-letter"),
        ({"treatment": "magic"}, "Unknown treatment"),
        ({"language": "xx"}, "Unknown language"),
        ({"country_code": "DE", "language": "ar"}, "No lead can be"),
        ({"strategy": "random"}, "round-robin"),
        ({"name": " "}, "name"),
        ({"distributor_id": 999}, "no such distributor"),
        ({"staff_ids": [999]}, "no user"),
    ],
)
def test_impossible_rules_are_refused_with_a_reason(staff, changes, words):
    with pytest.raises(ValidationError, match=f"(?i){words}"):
        rules.create_rule(rule_input(staff, **changes))


def test_a_deactivated_or_zero_capacity_user_cannot_be_named(staff):
    user = db.session.get(User, staff[0])
    user.is_active = False
    with pytest.raises(ValidationError, match="deactivated"):
        rules.create_rule(rule_input(staff))
    user.is_active, user.capacity = True, 0
    with pytest.raises(ValidationError, match="capacity of 0"):
        rules.create_rule(rule_input(staff))


def test_names_are_unique(staff):
    rules.create_rule(rule_input(staff))
    with pytest.raises(ValidationError, match="already called"):
        rules.create_rule(rule_input(staff))


def test_rules_are_ordered_and_moved(staff):
    first = rules.create_rule(rule_input(staff, name="A"))
    second = rules.create_rule(rule_input(staff, name="B"))
    third = rules.create_rule(rule_input(staff, name="C"))
    rules.move_rule(third, -1)
    assert [r.name for r in rules.list_rules()] == ["A", "C", "B"]
    rules.move_rule(first, -1)  # already first: stays
    rules.delete_rule(second)
    db.session.commit()
    assert [r.name for r in rules.list_rules()] == ["A", "C"]


def test_changing_the_staff_restarts_the_turn(staff):
    rule = rules.create_rule(rule_input(staff))
    rule.cursor = 2
    rules.update_rule(rule, rule_input(staff, treatment="ivf"))
    assert rule.cursor == 2  # same people: the turn is kept
    rules.update_rule(rule, rule_input(staff[:2]))
    assert rule.cursor == -1
