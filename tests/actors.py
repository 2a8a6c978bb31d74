"""Actors for tests that exercise the service directly (no sign-in): staff with every staff role."""

from scoring.auth import Actor, Role

STAFF = frozenset({Role.ADMIN, Role.OFFICER, Role.ANALYST, Role.LEADER})


def staff(name: str = "tester") -> Actor:
    return Actor(name, STAFF)


def role(name: str, *roles: Role, unit_id: str | None = None) -> Actor:
    return Actor(name, frozenset(roles), unit_id)
