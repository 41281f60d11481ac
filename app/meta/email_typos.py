"""Likely-mistyped email domains (`gmail.con`, `hotmial.com`, `yahooo.com`): the address the
person probably meant, from a list of the mail providers patients use. Pure text, no database;
never raises. A domain on the list, or not close to one, is taken as typed."""

import functools

# Free-mail domains seen in medical-tourism leads (Turkey, Europe, the Gulf, the UK).
KNOWN_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.de",
        "hotmail.fr",
        "hotmail.it",
        "hotmail.es",
        "hotmail.com.tr",
        "outlook.com",
        "outlook.de",
        "outlook.fr",
        "outlook.com.tr",
        "live.com",
        "live.co.uk",
        "live.de",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.it",
        "yahoo.es",
        "yahoo.com.tr",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "mail.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "yandex.com",
        "yandex.ru",
        "yandex.com.tr",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "rambler.ru",
        "proton.me",
        "protonmail.com",
        "orange.fr",
        "free.fr",
        "sfr.fr",
        "laposte.net",
        "wanadoo.fr",
        "libero.it",
        "virgilio.it",
        "btinternet.com",
        "sky.com",
        "qq.com",
        "163.com",
        "zoho.com",
        "windowslive.com",
    }
)
# Top-level domains typed for .com, .net, .de… (a domain not on the list but with one of these
# ends in a slip of the finger more often than in a real address).
TLD_SLIPS = {
    "con": "com",
    "cmo": "com",
    "ocm": "com",
    "vom": "com",
    "xom": "com",
    "comm": "com",
    "coom": "com",
    "cpm": "com",
    "om": "com",
    "nte": "net",
    "ner": "net",
}


def suggested_email(email: str | None) -> str | None:
    """The address *email* was probably meant to be, or None when its domain looks right."""
    if not email or email.count("@") != 1:
        return None
    local, domain = email.rsplit("@", 1)
    domain = domain.lower()
    if not local or domain in KNOWN_DOMAINS or "." not in domain:
        return None
    meant = closest_known(domain)
    if meant is None:
        stem, _, tld = domain.rpartition(".")
        meant = f"{stem}.{TLD_SLIPS[tld]}" if tld in TLD_SLIPS and stem else None
    return f"{local}@{meant}" if meant and meant != domain else None


@functools.lru_cache(maxsize=4096)
def closest_known(domain: str) -> str | None:
    """The known domain closest to *domain* within one edit (two for long names), when no
    other known domain is as close."""
    allowed = 1 if len(domain) < 10 else 2
    distances = {known: edits(domain, known, allowed) for known in KNOWN_DOMAINS}
    best = min(distances.values())
    closest = [known for known, distance in distances.items() if distance == best]
    return closest[0] if best <= allowed and len(closest) == 1 else None


def edits(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours is one edit), or limit + 1
    as soon as it is certain to be larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
