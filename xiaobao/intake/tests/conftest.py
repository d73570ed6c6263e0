"""The complaint tests' registration factory and frozen clock, for the import tests too."""

from xiaobao.complaints.tests.conftest import frozen, register

__all__ = ["frozen", "register"]
