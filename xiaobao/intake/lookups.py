"""Codes and names of units, taxonomy terms and staff, resolved once per import."""

from __future__ import annotations

from xiaobao.complaints.choices import Axis
from xiaobao.complaints.models import TaxonomyTerm
from xiaobao.organisation.models import Unit, User


class Lookups:
    """Codes and names resolved once per import, not once per row; the institution's own words
    first (`values`: {field: {word in the file: code}}, from the wizard or a saved profile)."""

    def __init__(self, values: dict[str, dict[str, str]] | None = None) -> None:
        self.values = values or {}
        self._terms: dict[tuple[str, str], TaxonomyTerm | None] = {}
        self._terms_loaded = False
        self._term_names: dict[tuple[str, str], TaxonomyTerm] = {}
        self._units: dict[str, Unit | None] = {}
        self._units_loaded = False
        self._unit_codes: dict[str, Unit] = {}
        self._unit_names: dict[str, list[Unit]] = {}
        self._unit_short_names: dict[str, list[Unit]] = {}
        self._staff: dict[str, User | None] = {}
        self._staff_numbers: dict[str, User | None] = {}

    def own_word(self, name: str, value: str) -> str:
        return self.values.get(name, {}).get(value.strip(), value)

    def term(self, axis: Axis, value: str) -> TaxonomyTerm | None:
        key = (axis, value.strip().upper())
        if key not in self._terms:
            if not self._terms_loaded:
                self._load_terms()
                if key in self._terms:
                    return self._terms[key]
            wanted = value.strip()
            found = self._term_names.get((axis, wanted))
            if found is None and axis == Axis.INTAKE_CHANNEL and wanted.isdigit():
                found = self._terms.get((axis, f"R{wanted}"))  # "12345" → R12345
            self._terms[key] = found
        return self._terms[key]

    def _load_terms(self) -> None:
        """Every term once (a few hundred rows): codes case-insensitively, names exactly."""
        self._terms_loaded = True
        for term in TaxonomyTerm.objects.order_by("pk"):
            self._terms.setdefault((term.axis, term.code.upper()), term)
            self._term_names.setdefault((term.axis, term.name), term)

    def unit(self, value: str) -> Unit | None:
        key = value.strip()
        if key not in self._units:
            if not self._units_loaded:
                self._load_units()
            found = self._unit_codes.get(key)
            if found is None:
                named = self._unit_names.get(key) or self._unit_short_names.get(key) or []
                found = named[0] if len(named) == 1 else None
            self._units[key] = found
        return self._units[key]

    def _load_units(self) -> None:
        """Every unit once (an institution has hundreds or a few thousand)."""
        self._units_loaded = True
        for unit in Unit.objects.order_by("pk"):
            self._unit_codes[unit.code] = unit
            self._unit_names.setdefault(unit.name, []).append(unit)
            if unit.short_name:
                self._unit_short_names.setdefault(unit.short_name, []).append(unit)

    def staff(self, value: str) -> User | None:
        """A member of staff the wizard's value mapping names (by user name) for this word."""
        username = self.values.get("complained_staff_name", {}).get(value.strip())
        if not username:
            return None
        if username not in self._staff:
            self._staff[username] = User.objects.filter(username=username, is_active=True).first()
        return self._staff[username]

    def staff_by_number(self, value: str) -> User | None:
        """The active member of staff whose staff number (工号, the user name) this is."""
        key = value.strip()
        if key not in self._staff_numbers:
            self._staff_numbers[key] = (
                User.objects.select_related("unit").filter(username=key, is_active=True).first()
            )
        return self._staff_numbers[key]
