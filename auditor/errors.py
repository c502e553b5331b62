"""Typed errors for problems with the tool's inputs; problems in a document are findings instead."""


class AuditorError(Exception):
    """Base class: the CLI prints the message and exits with status 2."""


class DocumentError(AuditorError):
    """A document cannot be read (missing, binary, empty or undecodable)."""


class UnsupportedFormatError(DocumentError):
    """The document's format is not one the auditor reads."""


class ConfigError(AuditorError):
    """The configuration has an unknown key, rule name or a bad value."""


class StoreError(AuditorError):
    """The audit database cannot be opened or written."""
