"""citation-auditor: verify a document's citations, reference list and cited sources."""

__version__ = "0.2.0"
HOMEPAGE = "https://github.com/citation-auditor/citation-auditor"
