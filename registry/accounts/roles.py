"""Every query the pages run starts here: the lots and records a user may see, scoped by their role.

A lot outside the user's scope is answered exactly like a lot that does not exist (404), so guessing
URLs tells a donor nothing about other donors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404

from registry.core.models import Organisation, Record
from registry.lots.models import Lot


class Role(StrEnum):
    COORDINATOR = "coordinator"
    REFURBISHER = "refurbisher"
    DONOR = "donor"
    NONE = "none"  # logged in without a membership, or anonymous: the public verification page only


@dataclass(frozen=True)
class Scope:
    role: Role
    organisation: Organisation | None

    @property
    def can_manage_lots(self) -> bool:
        return self.role is Role.COORDINATOR


def scope_of(user: AbstractBaseUser | AnonymousUser) -> Scope:
    if not user.is_authenticated:
        return Scope(Role.NONE, None)
    if getattr(user, "is_superuser", False):
        return Scope(Role.COORDINATOR, None)
    membership = getattr(user, "membership", None)
    if membership is None:
        return Scope(Role.NONE, None)
    organisation = membership.organisation
    return Scope(Role(organisation.kind), organisation)


def lots(scope: Scope) -> QuerySet[Lot]:
    everything = Lot.objects.select_related("donor", "refurbisher")
    if scope.role is Role.COORDINATOR:
        return everything
    if scope.role is Role.REFURBISHER:
        return everything.filter(refurbisher=scope.organisation)
    if scope.role is Role.DONOR:
        return everything.filter(donor=scope.organisation)
    return everything.none()


def lot_or_404(scope: Scope, pk: int) -> Lot:
    try:
        return lots(scope).get(pk=pk)
    except Lot.DoesNotExist:
        raise Http404("no such lot") from None


def records(scope: Scope) -> QuerySet[Record]:
    """Records a user may open: a coordinator all; a refurbisher their stations'; a donor those tagged with one of
    their lots by the lot's refurbisher."""
    base = Record.objects.all()
    if scope.role is Role.COORDINATOR:
        return base
    if scope.role is Role.REFURBISHER:
        return base.filter(station__organisation=scope.organisation)
    if scope.role is Role.DONOR:
        pairs = list(lots(scope).values_list("refurbisher_id", "reference"))
        if not pairs:
            return base.none()
        condition = Q()
        for refurbisher, reference in pairs:
            condition |= Q(station__organisation_id=refurbisher, lot_reference=reference)
        return base.filter(condition)
    return base.none()
