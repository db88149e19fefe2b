from decimal import Decimal

import pytest

from app.errors import ValidationError
from app.money import Money, format_money, format_plain, parse_amount, round_half_up, to_major_str


@pytest.mark.parametrize("text,minor", [("58", 5800), ("58.5", 5850), ("1,234.00", 123400), ("¥0.01", 1),
                                        (" 442.00 ", 44200), (Decimal("3.10"), 310)])
def test_parse(text, minor):
    assert parse_amount(text) == minor


@pytest.mark.parametrize("text,code", [("abc", "amount_invalid"), ("1.234", "amount_too_precise"),
                                       ("-5", "amount_negative"), ("0", "amount_zero"),
                                       ("99999999999", "amount_absurd"), ("nan", "amount_invalid"),
                                       ("inf", "amount_invalid")])
def test_parse_refusals(text, code):
    with pytest.raises(ValidationError) as e:
        parse_amount(text)
    assert e.value.code == code


def test_yen_has_no_minor_unit():
    assert parse_amount("500", "JPY") == 500
    with pytest.raises(ValidationError):
        parse_amount("5.5", "JPY")


def test_format_edges():
    assert format_money(44200, "CNY", "zh_CN") == "¥442.00"
    assert format_plain(123456, "CNY", "en") == "1,234.56"
    assert to_major_str(-5, "CNY") == "-0.05"
    assert str(Money(5800) + Money(200)) == "60.00"
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")


def test_round_half_up():
    assert round_half_up(16665, 10000) == 2 and round_half_up(5, 10) == 1 and round_half_up(4, 10) == 0
    assert round_half_up(-5, 10) == -1
