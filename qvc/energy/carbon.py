"""Grid carbon intensity: an offline table by ISO country code, a world default, a user override.

No network lookups, ever. Country figures are the 2021 annual life-cycle
carbon intensity of electricity generation from Our World in Data
("Carbon intensity of electricity", built on Ember's Yearly Electricity Data
and the Energy Institute's Statistical Review), as compiled in CodeCarbon's
``global_energy_mix.json`` (field ``carbon_intensity``, ``year`` 2021),
rounded to 0.1 g. The world default is the 475 gCO2e/kWh average that
Green Algorithms uses. A user value (``--carbon-intensity``) overrides both.

``gCO2e = joules / 3.6e6 * g_per_kWh``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qvc.energy.constants import GREEN_ALGORITHMS
from qvc.errors import QvcUsageError

COUNTRY_SOURCE = (
    "Our World in Data, 'Carbon intensity of electricity' (Ember Yearly Electricity Data; Energy "
    "Institute Statistical Review), year 2021, life-cycle gCO2e/kWh, as compiled in CodeCarbon's "
    "global_energy_mix.json"
)
COUNTRY_YEAR = 2021

#: World-average grid intensity used when no country or value is given.
WORLD_DEFAULT_G_PER_KWH = 475.0
WORLD_DEFAULT_SOURCE = "world average used by " + GREEN_ALGORITHMS

J_PER_KWH = 3.6e6

#: ISO 3166 alpha-2 -> (alpha-3, name, gCO2e/kWh in 2021).
COUNTRIES: dict[str, tuple[str, str, float]] = {
    "AE": ("ARE", "United Arab Emirates", 461.8),
    "AR": ("ARG", "Argentina", 357.8),
    "AT": ("AUT", "Austria", 147.6),
    "AU": ("AUS", "Australia", 531.2),
    "BD": ("BGD", "Bangladesh", 555.9),
    "BE": ("BEL", "Belgium", 156.9),
    "BG": ("BGR", "Bulgaria", 354.3),
    "BR": ("BRA", "Brazil", 158.6),
    "CA": ("CAN", "Canada", 128.5),
    "CH": ("CHE", "Switzerland", 47.1),
    "CL": ("CHL", "Chile", 416.9),
    "CN": ("CHN", "China", 544.4),
    "CO": ("COL", "Colombia", 181.1),
    "CR": ("CRI", "Costa Rica", 33.0),
    "CY": ("CYP", "Cyprus", 599.6),
    "CZ": ("CZE", "Czechia", 405.6),
    "DE": ("DEU", "Germany", 365.5),
    "DK": ("DNK", "Denmark", 221.4),
    "EC": ("ECU", "Ecuador", 155.8),
    "EE": ("EST", "Estonia", 481.2),
    "EG": ("EGY", "Egypt", 464.4),
    "ES": ("ESP", "Spain", 193.9),
    "ET": ("ETH", "Ethiopia", 25.2),
    "FI": ("FIN", "Finland", 145.5),
    "FR": ("FRA", "France", 67.4),
    "GB": ("GBR", "United Kingdom", 268.3),
    "GE": ("GEO", "Georgia", 111.6),
    "GR": ("GRC", "Greece", 353.3),
    "HK": ("HKG", "Hong Kong", 684.0),
    "HR": ("HRV", "Croatia", 211.0),
    "HU": ("HUN", "Hungary", 233.0),
    "ID": ("IDN", "Indonesia", 623.2),
    "IE": ("IRL", "Ireland", 363.6),
    "IL": ("ISR", "Israel", 548.0),
    "IN": ("IND", "India", 637.2),
    "IR": ("IRN", "Iran", 492.7),
    "IS": ("ISL", "Iceland", 28.6),
    "IT": ("ITA", "Italy", 340.8),
    "JP": ("JPN", "Japan", 478.5),
    "KE": ("KEN", "Kenya", 86.2),
    "KR": ("KOR", "South Korea", 458.1),
    "KW": ("KWT", "Kuwait", 489.6),
    "KZ": ("KAZ", "Kazakhstan", 641.1),
    "LT": ("LTU", "Lithuania", 244.6),
    "LU": ("LUX", "Luxembourg", 187.0),
    "LV": ("LVA", "Latvia", 223.9),
    "MA": ("MAR", "Morocco", 610.4),
    "MT": ("MLT", "Malta", 441.4),
    "MX": ("MEX", "Mexico", 399.9),
    "MY": ("MYS", "Malaysia", 548.6),
    "NG": ("NGA", "Nigeria", 377.0),
    "NL": ("NLD", "Netherlands", 388.7),
    "NO": ("NOR", "Norway", 27.6),
    "NZ": ("NZL", "New Zealand", 132.4),
    "PE": ("PER", "Peru", 230.7),
    "PH": ("PHL", "Philippines", 580.9),
    "PK": ("PAK", "Pakistan", 366.1),
    "PL": ("POL", "Poland", 660.1),
    "PT": ("PRT", "Portugal", 219.1),
    "PY": ("PRY", "Paraguay", 25.5),
    "QA": ("QAT", "Qatar", 489.8),
    "RO": ("ROU", "Romania", 255.9),
    "RS": ("SRB", "Serbia", 543.6),
    "RU": ("RUS", "Russia", 359.9),
    "SA": ("SAU", "Saudi Arabia", 571.3),
    "SE": ("SWE", "Sweden", 45.8),
    "SG": ("SGP", "Singapore", 487.9),
    "SI": ("SVN", "Slovenia", 238.6),
    "SK": ("SVK", "Slovakia", 169.6),
    "TH": ("THA", "Thailand", 506.6),
    "TR": ("TUR", "Turkey", 430.4),
    "TW": ("TWN", "Taiwan", 573.3),
    "UA": ("UKR", "Ukraine", 240.2),
    "US": ("USA", "United States", 379.3),
    "UY": ("URY", "Uruguay", 147.3),
    "VN": ("VNM", "Vietnam", 448.2),
    "ZA": ("ZAF", "South Africa", 715.7),
}
_ALPHA3 = {a3: a2 for a2, (a3, _, _) in COUNTRIES.items()}


@dataclass(frozen=True)
class CarbonIntensity:
    """A grid carbon intensity and where it comes from.

    Attributes
    ----------
    g_per_kwh : float
        Grams CO2-equivalent per kWh.
    label : str
        ``"FR (France) 2021"``, ``"world default"`` or ``"user value"``.
    source : str
        Citation of the number.
    """

    g_per_kwh: float
    label: str
    source: str

    def grams(self, joules: float) -> float:
        """gCO2e of ``joules`` at this intensity (NaN stays NaN)."""
        return float(joules) / J_PER_KWH * self.g_per_kwh


def carbon_intensity(country: str | None = None, g_per_kwh: float | None = None) -> CarbonIntensity:
    """Resolve the carbon intensity of a run.

    Parameters
    ----------
    country : str, optional
        ISO 3166 alpha-2 or alpha-3 code (case-insensitive).
    g_per_kwh : float, optional
        A user value (>= 0); cannot be combined with ``country``.

    Raises
    ------
    QvcUsageError
        Unknown country, negative or non-finite intensity, or both given.

    Examples
    --------
    >>> carbon_intensity("fr").g_per_kwh
    67.4
    >>> carbon_intensity().label
    'world default'
    >>> round(carbon_intensity(g_per_kwh=360).grams(3.6e6), 6)
    360.0
    """
    if country is not None and g_per_kwh is not None:
        raise QvcUsageError("give either --country or --carbon-intensity, not both")
    if g_per_kwh is not None:
        try:
            value = float(g_per_kwh)
        except (TypeError, ValueError):
            raise QvcUsageError(f"--carbon-intensity must be a number of gCO2e/kWh (got {g_per_kwh!r})") from None
        if not math.isfinite(value) or value < 0:
            raise QvcUsageError(f"--carbon-intensity must be a finite number >= 0 gCO2e/kWh (got {g_per_kwh})")
        return CarbonIntensity(value, "user value", "given by the user (--carbon-intensity)")
    if country is not None:
        code = str(country).strip().upper()
        a2 = code if code in COUNTRIES else _ALPHA3.get(code)
        if a2 is None:
            raise QvcUsageError(
                f"unknown country code {country!r}; use an ISO 3166 code from 'qvc carbon' "
                "(e.g. DE or DEU) or give --carbon-intensity G_PER_KWH"
            )
        a3, name, value = COUNTRIES[a2]
        return CarbonIntensity(value, f"{a2} ({name}) {COUNTRY_YEAR}", COUNTRY_SOURCE)
    return CarbonIntensity(WORLD_DEFAULT_G_PER_KWH, "world default", WORLD_DEFAULT_SOURCE)
