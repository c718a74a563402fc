from __future__ import annotations

from typing import ClassVar

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from registry.core.models import Organisation
from registry.lots.models import Lot


def _name(organisation: Organisation) -> str:
    return organisation.name


class LotForm(forms.ModelForm[Lot]):
    class Meta:
        model = Lot
        fields = ("reference", "donor", "refurbisher", "expected_devices", "received_on")
        labels: ClassVar[dict[str, Promise]] = {
            "reference": _("Lot reference (as typed on the stations)"), "donor": _("Donor"),
            "refurbisher": _("Refurbisher assigned"), "expected_devices": _("Devices expected"),
            "received_on": _("Date received")}
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["donor"].queryset = Organisation.objects.filter(kind=Organisation.Kind.DONOR)  # type: ignore[attr-defined]
        self.fields["refurbisher"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            kind=Organisation.Kind.REFURBISHER)
        for name in ("donor", "refurbisher"):
            self.fields[name].label_from_instance = _name  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if Lot.objects.filter(refurbisher=data.get("refurbisher"), reference=data.get("reference")).exists():
            raise forms.ValidationError(_("This refurbisher already has a lot with this reference."))
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Drive or machine serial number"), max_length=200, strip=True)


class VerifyForm(forms.Form):
    document = forms.FileField(label=_("Certificate (PDF or JSON)"))
    signature = forms.FileField(label=_("Signature (.sig), for a JSON file"), required=False)
