"""Masking of sensitive numbers for lists, search results, logs and exports (docs/rules.md, Who uses it)."""

MASK = "*****"


def mask_id_number(value: str | None) -> str:
    """Mask a resident ID or temporary ID the way the notice prints it: 450103*****1234X."""
    if not value:
        return ""
    if len(value) >= 15:
        # Keep the region code and the last four digits (+ the baby's letter of a temporary ID).
        tail = 5 if len(value) == 19 else 4
        return value[:6] + MASK + value[-tail:]
    if len(value) > 4:
        return value[:2] + MASK + value[-2:]
    return MASK


def mask_phone(value: str | None) -> str:
    """Mask a phone number, keeping the first three and last four digits: 138****5678."""
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + "****" + value[-4:]
    return MASK


def mask_newborn_name(name: str | None) -> str:
    """A newborn's registered name with the parent's given name hidden: 覃小梅之女 → 覃*之女.

    What a settlement desk of another hospital may see (issue 16): enough to match the card in hand.
    """
    if not name:
        return ""
    suffix = name[-2:] if name.endswith(("之女", "之子")) else ""
    parent = name[: len(name) - len(suffix)]
    return (parent[:1] + "*" if parent else "") + suffix
