"""Where families pay the premium, by city: the list the family notice and the registration's result page
print (docs/rules.md, Payment channels).

The lists are reference data keyed by the city's division code (settings.PAYMENT_CHANNELS_FILE; Nanning's
from the 2026 guide, 五, is shipped). A city without a list gets none: the family is told to ask the local
agency, never another city's channels as theirs.
"""

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CITY_CODE = re.compile(r"^[0-9]{4}$")
FIELDS = {"city": str, "source": str, "online": list, "offline": list, "account": str}


@dataclass(frozen=True)
class CityChannels:
    """One city's payment channels as its document words them."""

    code: str
    city: str
    source: str
    online: tuple[str, ...]
    offline: tuple[str, ...]
    account: str  # the WeChat accounts offering 个账代缴, "" when the document names none


def channels_parse(text: str, *, origin: str = "PAYMENT_CHANNELS_FILE") -> dict[str, CityChannels]:
    """The cities' lists of a channels file (TOML), or ImproperlyConfigured saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ImproperlyConfigured(f"{origin}: not valid TOML ({error})") from None
    cities = {}
    for code, entry in data.items():
        if not CITY_CODE.match(code) or not isinstance(entry, dict):
            raise ImproperlyConfigured(f"{origin}: [{code}] must be a city's four-digit division code")
        for name, kind in FIELDS.items():
            value = entry.get(name)
            if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
                raise ImproperlyConfigured(f"{origin}: [{code}] needs {name} as a {kind.__name__} of text")
        if unknown := set(entry) - set(FIELDS):
            raise ImproperlyConfigured(f"{origin}: [{code}] has unknown keys {sorted(unknown)}")
        if not entry["online"] and not entry["offline"]:
            raise ImproperlyConfigured(f"{origin}: [{code}] lists no channel")
        cities[code] = CityChannels(
            code,
            entry["city"],
            entry["source"],
            tuple(entry["online"]),
            tuple(entry["offline"]),
            entry["account"],
        )
    return cities


@functools.cache
def _channels_read(path: Path) -> dict[str, CityChannels]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ImproperlyConfigured(f"PAYMENT_CHANNELS_FILE: cannot read {path} ({error.strerror})") from None
    return channels_parse(text, origin=f"PAYMENT_CHANNELS_FILE ({path})")


def channels_by_city() -> dict[str, CityChannels]:
    """Every configured city's channels, by city code (read once per process and file)."""
    return _channels_read(Path(settings.PAYMENT_CHANNELS_FILE))


def payment_channels(community_code: str, agency_name: str = "") -> dict:
    """Where the family of an enrollment place (a community's code) pays: the one list the card's notice
    and the registration's result page (请告知家属) both print (templates/cards/_payment_channels.html).
    Without a list for the place's city, the family asks the agency (docs/rules.md, Payment channels)."""
    city = channels_by_city().get(community_code[:4])
    if city is None:
        return {"configured": False, "agency": agency_name}
    return {
        "configured": True,
        "city": city.city,
        "online": city.online,
        "offline": city.offline,
        "account": city.account,
    }
