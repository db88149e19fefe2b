"""Phone numbers: parse to E.164 with ``phonenumbers``, refuse letters and invalid numbers, mask."""
from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from app.errors import ValidationError

# What people type around digits: spaces, dashes, dots, brackets, a leading +.
_ALLOWED = re.compile(r"^\+?[\d\s\-().]+$")


def normalize(raw: str, region: str = "CN") -> str:
    """E.164 form of ``raw`` ("138 0013 8000" -> "+8613800138000"), or ValidationError.

    ``phonenumbers`` quietly reads letters as keypad digits ("abc" -> 222), so any letter is refused
    before parsing.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError("phone_empty")
    if any(ch.isalpha() for ch in text):
        raise ValidationError("phone_letters", value=text)
    if not _ALLOWED.match(text):
        raise ValidationError("phone_invalid", value=text, region=region)
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("phone_invalid", value=text, region=region) from None
    if not phonenumbers.is_valid_number(num):
        raise ValidationError("phone_invalid", value=text, region=region)
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def in_region(e164: str | None, region: str) -> bool:
    """Whether a stored number belongs to ``region`` (the shop's: shown there without its country code)."""
    if not e164:
        return False
    if region == "CN" and len(e164) == 14 and e164.startswith("+861"):   # the common case, unparsed
        return True
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) == region
    except phonenumbers.NumberParseException:
        return False


def is_mobile(e164: str) -> bool:
    num = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(num) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def national_digits(e164: str) -> str:
    # Fast path for mainland China numbers (+86 and 11 digits, no leading zero): parsing with
    # phonenumbers costs ~0.1 ms, and the till's pick list masks up to 20 numbers per keystroke.
    if len(e164) == 14 and e164.startswith("+861") and e164[1:].isdigit():
        return e164[3:]
    return str(phonenumbers.parse(e164, None).national_number)


def last4(e164: str) -> str:
    return national_digits(e164)[-4:]


def mask(e164: str | None) -> str:
    """"138****5678" for an 11-digit number; keeps the first 3 and last 4 of the national number."""
    if not e164:
        return ""
    digits = national_digits(e164)
    if len(digits) <= 7:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
