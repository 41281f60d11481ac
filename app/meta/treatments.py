"""The treatment catalogue: canonical service keys and the words that point at them."""

import functools

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# Keys are stored on leads; the labels are translated when shown (lazily: this is read at import).
TREATMENTS: dict[str, LazyString] = {
    "hair_transplant": _l("Hair transplant"),
    "beard_transplant": _l("Beard transplant"),
    "eyebrow_transplant": _l("Eyebrow transplant"),
    "dental_implants": _l("Dental implants"),
    "veneers": _l("Veneers"),
    "all_on_4": _l("All-on-4"),
    "teeth_whitening": _l("Teeth whitening"),
    "dental": _l("Dental (other)"),
    "ivf": _l("IVF"),
    "rhinoplasty": _l("Rhinoplasty"),
    "breast_augmentation": _l("Breast augmentation"),
    "liposuction": _l("Liposuction"),
    "tummy_tuck": _l("Tummy tuck"),
    "gastric_sleeve": _l("Gastric sleeve"),
    "eye_surgery": _l("Eye surgery"),
    "other": _l("Other"),
}

# Checked in order: the first fragment found in the lower-cased answer wins, so specific
# words ("breast implant") come before generic ones ("implant").
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("beard", "beard_transplant"),
    ("sakal", "beard_transplant"),
    ("eyebrow", "eyebrow_transplant"),
    ("kaş", "eyebrow_transplant"),
    ("breast", "breast_augmentation"),
    ("göğüs", "breast_augmentation"),
    ("brust", "breast_augmentation"),
    ("hair", "hair_transplant"),
    ("saç", "hair_transplant"),
    ("haar", "hair_transplant"),
    ("fue", "hair_transplant"),
    ("dhi", "hair_transplant"),
    ("all_on", "all_on_4"),
    ("all-on", "all_on_4"),
    ("all on", "all_on_4"),
    ("veneer", "veneers"),
    ("lamina", "veneers"),
    ("kaplama", "veneers"),
    ("whiten", "teeth_whitening"),
    ("beyazlat", "teeth_whitening"),
    ("implant", "dental_implants"),
    ("dental", "dental"),
    ("teeth", "dental"),
    ("tooth", "dental"),
    ("diş", "dental"),
    ("zahn", "dental"),
    ("ivf", "ivf"),
    ("in vitro", "ivf"),
    ("tüp bebek", "ivf"),
    ("fertil", "ivf"),
    ("rhino", "rhinoplasty"),
    ("nose", "rhinoplasty"),
    ("burun", "rhinoplasty"),
    ("lipo", "liposuction"),
    ("tummy", "tummy_tuck"),
    ("abdominoplast", "tummy_tuck"),
    ("karın", "tummy_tuck"),
    ("sleeve", "gastric_sleeve"),
    ("gastric", "gastric_sleeve"),
    ("bariatric", "gastric_sleeve"),
    ("mide", "gastric_sleeve"),
    ("lasik", "eye_surgery"),
    ("eye", "eye_surgery"),
    ("göz", "eye_surgery"),
)


@functools.lru_cache(maxsize=4096)
def treatment_key(answer: str) -> str:
    """Map a form answer (option key or free text) to a canonical treatment key."""
    text = answer.strip().lower()
    if text in TREATMENTS:
        return text
    for fragment, key in SYNONYMS:
        if fragment in text:
            return key
    return "other"


def treatment_label(key: str | None) -> str:
    """The treatment's name in the current language (an unknown key as it is)."""
    label = TREATMENTS.get(key or "")
    return str(label) if label is not None else key or ""
