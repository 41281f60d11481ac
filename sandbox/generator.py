"""Deterministic generator of realistic (and deliberately messy) medical-tourism leads."""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from typing import Any

import phonenumbers

from .forms import SandboxForm
from .pools import (
    AGE_ANSWERS,
    BROKEN_DATES,
    BROKEN_EMAILS,
    BROKEN_PHONES,
    HOSTILE_VALUES,
    PHONE_REGIONS,
    POOL_WEIGHTS,
    POOLS,
)
from .util import graph_time

DAY = 86_400
ORGANIC_RATE = 1 / 12
ODDITY_RATE = 0.05
REINQUIRY_RATE = 0.04
CONSENT_RATE = 0.85
_ASCII = str.maketrans({"ß": "ss", "ı": "i", "İ": "i", "ø": "o", "æ": "ae", "œ": "oe", "'": ""})
_POOL_NAMES = list(POOLS)
_POOL_CUM = [sum(POOL_WEIGHTS[name] for name in _POOL_NAMES[: i + 1]) for i in range(len(POOLS))]


@lru_cache(maxsize=512)
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII).lower())
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in "-."))


class LeadFactory:
    """Makes lead dicts in Meta's shape; same seed and call sequence -> same leads."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._next_id = 1_200_000_000_000_000 + random.Random(seed * 7919 + 1).randrange(10**14)
        self._people_by_day: dict[int, list[dict[str, Any]]] = {}
        self._hostile_count = 0

    def next_id(self) -> str:
        self._next_id += 1 + int(self.rng.random() * 3999)
        return str(self._next_id)

    def _pick(self, seq: list | tuple):
        """rng.choice, but about twice as fast (bulk generation is on a benchmark path)."""
        return seq[int(self.rng.random() * len(seq))]

    def lead(self, form: SandboxForm, ts: int) -> dict[str, Any]:
        """One lead on *form* created at unix time *ts*."""
        rng = self.rng
        person = self._person(ts)
        field_data = []
        for key in self._keys(form):
            value = person[key] if key in person else self._value(form, key, person)
            if value is None or (key == "email" and not value):
                continue  # unanswered; an empty e-mail answer is left out entirely
            field_data.append({"name": key, "values": [value]})
        if rng.random() < ODDITY_RATE:
            self._add_oddity(field_data)
        lead: dict[str, Any] = {"id": self.next_id(), "created_time": graph_time(ts)}
        organic = rng.random() < ORGANIC_RATE or not form.ads
        if not organic:
            lead.update(self._pick(form.ads).fields())
        lead.update(
            {
                "form_id": form.id,
                "is_organic": organic,
                "platform": "ig" if rng.random() < 0.4 else "fb",
                "field_data": field_data,
                "custom_disclaimer_responses": [
                    {
                        "checkbox_key": "medical_data_consent",
                        "is_checked": "1" if rng.random() < CONSENT_RATE else "",
                    }
                ],
            }
        )
        return lead

    def test_lead(self, form: SandboxForm, ts: int, field_data: list | None = None) -> dict:
        """Meta's dummy test lead (organic, no ad) or one with the given field_data."""
        if field_data is None:
            field_data = [
                {
                    "name": q["key"],
                    "values": [
                        "test@meta.com"
                        if q["key"] == "email"
                        else f"<test lead: dummy data for {q['key']}>"
                    ],
                }
                for q in form.questions
            ]
        return {
            "id": self.next_id(),
            "created_time": graph_time(ts),
            "form_id": form.id,
            "is_organic": True,
            "platform": "fb",
            "field_data": field_data,
            "custom_disclaimer_responses": [
                {"checkbox_key": "medical_data_consent", "is_checked": "1"}
            ],
        }

    def _keys(self, form: SandboxForm) -> list[str]:
        keys = [q["key"] for q in form.questions]
        if self.rng.random() < 0.10:  # a question left unanswered entirely
            keys.pop(self.rng.randrange(len(keys)))
        return keys

    def _person(self, ts: int) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < REINQUIRY_RATE:
            earlier = self._earlier_person(ts)
            if earlier is not None:
                return earlier
        pool_name = _POOL_NAMES[bisect_right(_POOL_CUM, int(rng.random() * _POOL_CUM[-1]))]
        pool = POOLS[pool_name]
        first, last = self._pick(pool["first"]), self._pick(pool["last"])
        year = 1958 + int(rng.random() * 47)
        person = {
            "first_name": first[0],
            "last_name": last[0],
            "email": self._email(first[1], last[1], year, pool["domains"]),
            "phone_number": self._phone(pool["phone"]),
            "country": self._pick(pool["countries"]),
            "city": self._pick(pool["cities"]),
            "dob": (year, 1 + int(rng.random() * 12), 1 + int(rng.random() * 28)),
            "age": 2026 - year,
        }
        day = ts // DAY
        if day not in self._people_by_day:  # only recent people ask again: forget the rest
            for old in [d for d in self._people_by_day if d < day - 11]:
                del self._people_by_day[old]
        self._people_by_day.setdefault(day, []).append(person)
        return person

    def _earlier_person(self, ts: int) -> dict[str, Any] | None:
        """Someone who asked 2-10 days earlier (same phone/e-mail): a re-inquiry."""
        today = ts // DAY
        days = [d for d in range(today - 10, today - 1) if d in self._people_by_day]
        if not days:
            return None
        return self._pick(self._people_by_day[self._pick(days)])

    def _email(self, first: str, last: str, year: int, domains: list[str]) -> str:
        rng = self.rng
        f, last_ascii = _ascii(first), _ascii(last).replace(" ", "")
        number = 1 + int(rng.random() * 9999)  # most real addresses carry one: few collide
        local = self._pick(
            [
                f"{f}.{last_ascii}",
                f"{f}{last_ascii}{year % 100}{number % 100}",
                f"{f}_{last_ascii}{number}",
                f"{f[:1]}.{last_ascii}{number}",
                f"{last_ascii}{f}{number}",
            ]
        )
        roll = rng.random()
        if roll < 0.04:
            return self._pick(BROKEN_EMAILS).format(local=local)
        if roll < 0.07:
            return ""
        email = f"{local}@{self._pick(domains)}"
        return email.upper() if roll > 0.95 else email

    def _phone(self, kind: str) -> str:
        """A real-looking mobile number of the pool's country, typed the way people do;
        now and then a broken one. Numbers are valid for their region (phonenumbers), as
        Meta's prefilled phone answers mostly are."""
        rng = self.rng
        if rng.random() < 0.06:
            return self._pick(BROKEN_PHONES)
        number = self._mobile(self._pick(PHONE_REGIONS[kind]))
        style = rng.random()
        if style < 0.35:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if style < 0.6:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        if style < 0.75:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if style < 0.88:
            return "00" + e164[1:]
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())

    def _mobile(self, region: str) -> phonenumbers.PhoneNumber:
        """A valid mobile number of *region*: the library's example with new last digits."""
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        size = min(7, len(national) - 2)  # keep the operator prefix, vary the subscriber
        for _ in range(12):
            tail = f"{int(self.rng.random() * 10**size):0{size}d}"
            candidate = phonenumbers.PhoneNumber(
                country_code=example.country_code, national_number=int(national[:-size] + tail)
            )
            if phonenumbers.is_valid_number(candidate):
                return candidate
        return example

    def _value(self, form: SandboxForm, key: str, person: dict) -> str | None:
        if key == "full_name":
            return self._full_name(person)
        if key == "date_of_birth":
            return self._dob(person["dob"])
        if key == "how_old_are_you?":
            return self._pick(AGE_ANSWERS).format(age=person["age"])
        options = form.option_keys(key)
        return self._pick(options) if options else None

    def _full_name(self, person: dict) -> str:
        name = f"{person['first_name']} {person['last_name']}"
        roll = self.rng.random()
        if roll < 0.06:
            return name.lower()
        if roll < 0.10:
            return f"  {name.upper()} "
        if roll < 0.13:
            return person["first_name"]
        return name

    def _dob(self, dob: tuple[int, int, int]) -> str:
        year, month, day = dob
        style = self.rng.random()
        if style < 0.08:
            return self._pick(BROKEN_DATES)
        if style < 0.40:
            return f"{year:04d}-{month:02d}-{day:02d}"
        if style < 0.70:
            return f"{day:02d}/{month:02d}/{year:04d}"
        return f"{day:02d}.{month:02d}.{year:04d}"

    def _add_oddity(self, field_data: list[dict]) -> None:
        """Hostile or odd values: injection strings, 3,000 chars, RTL, missing `values`."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            field_data.append({"name": "inbox_url"})
        elif roll < 0.25 and field_data:
            del field_data[rng.randrange(len(field_data))]["values"]
        elif roll < 0.32 and field_data:
            field_data[rng.randrange(len(field_data))]["values"] = []
        elif field_data:
            entry = field_data[rng.randrange(len(field_data))]
            # cycle rather than pick, so every hostile kind shows up in any sizeable sample
            entry["values"] = [HOSTILE_VALUES[self._hostile_count % len(HOSTILE_VALUES)]]
            self._hostile_count += 1
