"""Rules reported by the link checker (`--check-links`, `auditor links`); documented here with the rest."""

from auditor.checks.registry import online_rule
from auditor.model import Severity

online_rule("dead-link", severity=Severity.ERROR,
            description="The cited URL is gone: 404, 410, no such host, connection refused.",
            message="the URL {url} of {entry} is dead ({detail})",
            fix="Find where the page moved, or cite an archived copy{archive}.",
            example="a news article deleted last year (HTTP 404)")
online_rule("soft-404", severity=Severity.ERROR,
            description="The URL answers 200 but shows an error page, or a deep link lands on the site's home page.",
            message="the URL {url} of {entry} answers, but with an error page or the home page ({detail})",
            fix="Find the page's new address, or cite an archived copy{archive}.",
            example="a page that says \u201cHalaman tidak ditemukan\u201d with status 200")
online_rule("link-error", severity=Severity.WARNING,
            description="The server failed (5xx), TLS failed, too many redirects, or the response was invalid.",
            message="the URL {url} of {entry} could not be checked: {detail}",
            fix="Try the link again later; if it keeps failing, replace it.",
            example="HTTP 503 or a certificate error")
online_rule("link-timeout", severity=Severity.WARNING,
            description="The server did not answer within the time allowed.",
            message="the URL {url} of {entry} did not answer in time ({detail})",
            fix="Try the link again later; if it keeps timing out, replace it.",
            example="a server that never answers")
online_rule("link-blocked", severity=Severity.INFO,
            description="The server refused the checker (401, 403, 429, 999, bot challenge): the page may be fine.",
            message="the URL {url} of {entry} could not be verified: the site blocks automated checks ({detail})",
            fix="Open the link in a browser to confirm it works.",
            example="a Cloudflare challenge (HTTP 403)")
online_rule("redirected-link", severity=Severity.INFO,
            description="The URL permanently redirects to a different page.",
            message="the URL {url} of {entry} has moved to {final_url}",
            fix="Cite the new address {final_url}.",
            example="HTTP 301 to a new address")
online_rule("title-mismatch", severity=Severity.WARNING,
            description="The live page's title does not match the title cited.",
            message="the page at {url} is titled \u201c{page_title}\u201d, not \u201c{title}\u201d as cited in {entry}",
            fix="Check that the URL is the work cited; the content may have changed.",
            example="the URL now shows a different article")
online_rule("source-date-mismatch", severity=Severity.WARNING,
            description="The live page's publication date disagrees with the entry's year.",
            message="the page at {url} was published {published}, but {entry} gives the year {year}",
            fix="Correct the year to {published_year}, or check the URL.",
            example="article:published_time 2024-06-20 for an entry dated 2023")
