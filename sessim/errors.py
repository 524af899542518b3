"""Exceptions raised by sessim, grouped by who is to blame.

The command line maps them to exit codes:

* ``0`` -- success.
* ``1`` -- a failure while running: a misbehaving peer or network
  (:class:`PeerError`), or any other unexpected error.
* ``2`` -- invalid input or usage: a bad scenario, CSV or YAML file, or wrong
  command-line arguments (:class:`InputError`).

:class:`EngineMisuse` means the engine API was called wrongly; that is a bug in
the calling code, not something the user can fix by editing their input.
"""

from __future__ import annotations


class SessimError(Exception):
    """Base class for every error sessim raises on purpose."""


class InputError(SessimError):
    """Bad input from the user: scenario, CSV, YAML or CLI usage (exit code 2)."""


class EngineMisuse(SessimError):
    """The engine API was called wrongly: a bug in the caller."""


class PeerError(SessimError):
    """A misbehaving peer or network, e.g. an SMTP server or unreachable host (exit code 1)."""
