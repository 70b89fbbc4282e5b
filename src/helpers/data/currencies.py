"""ISO 4217 currency codes: a conversion's value is in one of these, and one analysis sums one currency only."""

from __future__ import annotations

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
    CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD
    XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
    """.split()
)
"""Active codes of ISO 4217 (list one, 2024), with funds and precious-metal codes."""


COMMON_MISTAKES = {"RMB": "CNY", "¥": "CNY (yuan) or JPY (yen)", "$": "USD or another dollar", "€": "EUR", "£": "GBP"}
"""Symbols and names exports use instead of a code, and the code meant."""


def currency_hint(value: str) -> str:
    """What to write instead of a value that is not an ISO 4217 code ('' if none is known)."""
    meant = COMMON_MISTAKES.get(str(value).strip().upper()) or COMMON_MISTAKES.get(str(value).strip())
    return f" (write {meant})" if meant else ""
