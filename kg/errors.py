"""The one exception kg raises on purpose.

A :class:`KgError` means "the user asked for something kg cannot do", not
"kg has a bug": its message is one clear sentence meant for the user, which
the CLI prints (without a traceback) before exiting with a non-zero status.
"""
from __future__ import annotations


class KgError(Exception):
    """An error whose message is one clear sentence for the user."""
