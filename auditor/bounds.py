"""Bounds of the integer and time settings, shared by the configuration and the command line (kept in
a module of their own so that the command line can declare its options without importing the rest)."""

# Bounds of the integer link settings: below the low end nothing works, above the high end a number
# is a typo that would start that many threads or follow that many hops.
INT_RANGES = {"per-host": (1, 64), "concurrency": (1, 1024), "max-redirects": (0, 100), "retries": (0, 10),
              "max-bytes": (1, 1 << 30)}
MAX_SECONDS = 86_400.0
