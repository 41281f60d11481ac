"""The patient's local time: which time zone a lead's person is in (from the phone's region,
else the form's country), the time there now, whether it is a good time to call (09:00–20:00
there), and "tomorrow 10:00 their time" for a follow-up. No database here.

phonenumbers gives the zones a number can be in; when it gives several (Russia, Kazakhstan
and Australian mobiles, a US or Canadian non-geographic number), the city the patient gave
decides when it names one of them, else the country's most populous zone."""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
from phonenumbers import timezone as number_zones

from app.models import FacebookLead

CALL_FROM, CALL_UNTIL = time(9, 0), time(20, 0)
MORNING = time(10, 0)
UNKNOWN = "Etc/Unknown"
# Where most people of a country with several zones live (the pick among several).
MOST_LIKELY = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
}


@dataclass(frozen=True)
class PatientClock:
    """The time where the patient is at one moment."""

    zone: str
    local: datetime
    differs: bool  # another UTC offset than the desk's right now

    @property
    def good_to_call(self) -> bool:
        return CALL_FROM <= self.local.time() < CALL_UNTIL

    @property
    def offset(self) -> str:
        """`UTC+3:30`, `UTC−5`, `UTC` (the offset there now)."""
        minutes = int(self.local.utcoffset().total_seconds() // 60)
        if not minutes:
            return "UTC"
        sign = "+" if minutes > 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_for(phone: str | None, country_code: str | None, city: str | None = None) -> str | None:
    """The patient's most likely IANA zone, or None when neither the phone nor the country
    tells."""
    return _zone_for(phone or "", (country_code or "").upper(), (city or "").strip().casefold())


@functools.lru_cache(maxsize=4096)
def _zone_for(phone: str, region: str, city: str) -> str | None:
    zones: tuple[str, ...] = ()
    if phone:
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            zones = known(number_zones.time_zones_for_number(number))
            region = phonenumbers.region_code_for_number(number) or region
    if not zones and region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        zones = known(number_zones.time_zones_for_number(example)) if example else ()
        preferred = MOST_LIKELY.get(region)
        zones = (preferred,) if preferred else zones
    return most_likely(zones, region, city)


def known(zones: tuple[str, ...]) -> tuple[str, ...]:
    names = available_zones()
    return tuple(z for z in zones if z != UNKNOWN and z in names)


@functools.cache
def available_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def most_likely(zones: tuple[str, ...], region: str, city: str) -> str | None:
    if len(zones) <= 1:
        return zones[0] if zones else None
    if city:
        named = [z for z in zones if z.rsplit("/", 1)[-1].replace("_", " ").casefold() == city]
        if named:
            return named[0]
    preferred = MOST_LIKELY.get(region)
    return preferred if preferred in zones else sorted(zones)[0]


def lead_zone(lead: FacebookLead) -> str | None:
    return zone_for(lead.phone, lead.country_code, lead.city)


def clock(lead: FacebookLead, now: datetime, desk_zone: str) -> PatientClock | None:
    """The patient's time at *now* (None when their zone is unknown)."""
    zone = lead_zone(lead)
    if zone is None:
        return None
    local = now.astimezone(ZoneInfo(zone))
    desk = now.astimezone(ZoneInfo(desk_zone))
    return PatientClock(zone, local, local.utcoffset() != desk.utcoffset())


def their_tomorrow_morning(zone: str, now: datetime) -> datetime:
    """Tomorrow (their date) 10:00 in *zone*, in UTC; a wall time a DST change skips is read
    as the hour after."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, MORNING, tz).astimezone(UTC)
