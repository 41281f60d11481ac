"""Likely-mistyped email domains (issue 14, item 3)."""

import pytest

from app.meta.email_typos import suggested_email


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ayse@gmail.con", "ayse@gmail.com"),
        ("ayse@hotmial.com", "ayse@hotmail.com"),
        ("ayse@yahooo.com", "ayse@yahoo.com"),
        ("ayse@gmial.com", "ayse@gmail.com"),
        ("ayse@outlok.com", "ayse@outlook.com"),
        ("ayse@hotmail.co", "ayse@hotmail.com"),
        ("ayse@icloud.cm", "ayse@icloud.com"),
        ("ayse@klinik-example.con", "ayse@klinik-example.com"),
    ],
)
def test_a_slip_in_a_well_known_domain_suggests_the_intended_address(typed, meant):
    assert suggested_email(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "ayse@gmail.com",
        "ayse@mail.com",  # a real provider one letter from gmail.com
        "ayse@gmx.ch",
        "ayse@aol.fr",
        "ayse@uni-bonn.de",
        "ayse@msh.com.tr",
        "ayse@hotmail.com.tr",
        None,
        "",
        "not-an-address",
        "a@b@gmail.con",
    ],
)
def test_right_or_unknown_domains_are_taken_as_typed(typed):
    assert suggested_email(typed) is None
