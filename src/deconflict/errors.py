"""The errors users see. Each carries a one-line message; the CLI prints it and exits 2."""

from __future__ import annotations


class DeconflictError(Exception):
    """Base of every error meant for a user (bad input, bad option)."""


class InputError(DeconflictError):
    """A file cannot be read, a column is missing, or rows are bad under ``strict``."""


class OptionError(DeconflictError):
    """An option has a value outside its domain."""


class NotFoundError(DeconflictError):
    """A plan (or other record) that does not exist, or that the caller may not see."""


class RefusedError(DeconflictError):
    """A request that is well formed but not allowed: another party's plan, a stale
    version, a state that cannot change that way."""


class AuthError(DeconflictError):
    """No valid API key: missing, malformed, unknown, revoked or expired."""


class ForbiddenError(DeconflictError):
    """A valid key whose role or party may not do this."""
