"""Which tracking hits were not a person: privacy proxies and link scanners (pure).

- 'proxy': an open fetched by a mailbox provider's image proxy, not by the reader's eyes.
  Apple Mail Privacy Protection (MPP) preloads every image through Apple's relays — user
  agent exactly "Mozilla/5.0", addresses in Apple's 17.0.0.0/8 — whether or not the mail
  is read; Gmail fetches through GoogleImageProxy (66.102.0.0/20, 66.249.80.0/20), Yahoo
  through YahooMailProxy. Such opens are kept (reports show them with the privacy caveat)
  but weigh nothing in the engagement score.
- 'prefetch': a security scanner or link previewer following links before (or instead of)
  the recipient — a HEAD request, a known scanner/preview agent, no user agent at all, or
  a click within CLICK_PREFETCH_SECONDS of the send (decided by the writer, which knows
  the send time; the request path does no database read).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from functools import lru_cache

PROXY = "proxy"
PREFETCH = "prefetch"
FLAGS = ("", PROXY, PREFETCH)
CLICK_PREFETCH_SECONDS = 10
CLICK_PREFETCH = timedelta(seconds=CLICK_PREFETCH_SECONDS)

_PROXY_AGENTS = ("googleimageproxy", "yahoomailproxy", "ggpht.com")
_PROXY_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "17.0.0.0/8",        # Apple (Mail Privacy Protection relays)
    "66.102.0.0/20",     # Google image proxy
    "66.249.80.0/20",    # Google image proxy
))
_SCANNER_AGENTS = (
    "barracuda", "mimecast", "proofpoint", "symantec", "messagelabs", "trendmicro",
    "trend micro", "fireeye", "forcepoint", "sophos", "zscaler", "safelinks", "urldefense",
    "linkpreview", "slackbot", "facebookexternalhit", "twitterbot", "discordbot",
    "whatsapp", "skypeuripreview", "microsoft office", "python-requests", "python-httpx",
    "curl/", "wget/", "go-http-client", "okhttp", "java/", "headlesschrome", "bot/", "spider",
    "crawler", "scanner",
)


_SCANNER = re.compile("|".join(re.escape(mark) for mark in _SCANNER_AGENTS))
_PROXY_AGENT = re.compile("|".join(re.escape(mark) for mark in _PROXY_AGENTS))


def _in_proxy_network(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _PROXY_NETWORKS)


def _is_scanner(method: str, agent: str) -> bool:
    lowered = agent.lower()
    return method.upper() == "HEAD" or not lowered.strip() or _SCANNER.search(lowered) is not None


# Cached: the same few user agents and relay addresses come back hit after hit.
@lru_cache(maxsize=8192)
def classify(kind: str, *, method: str, user_agent: str, address: str) -> str:
    """'' for a person, else PROXY or PREFETCH (kind: 'open' or 'click')."""
    if _is_scanner(method, user_agent):
        return PREFETCH
    proxied = (user_agent.strip() == "Mozilla/5.0"
               or _PROXY_AGENT.search(user_agent.lower()) is not None
               or _in_proxy_network(address))
    if kind == "open" and proxied:
        return PROXY
    return ""
