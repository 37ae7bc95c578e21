"""A polite client of the arXiv API (the Atom interface of the arXiv API user manual).

As arXiv's terms of use ask: one request at a time, `delay` seconds or more apart, retries with
backoff on 5xx, 429 and timeouts (honouring Retry-After), and a User-Agent naming the project.
urllib from the standard library does the HTTP: the API is one GET, and no dependency is needed.
"""

from __future__ import annotations

import email.utils
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sitegen import __version__
from sitegen.arxiv.atom import ArxivError, Feed, parse_feed

DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"
DEFAULT_DELAY = 3.0
MAX_IDS = 100  # per id_list, as the manual advises for large lists
RETRIES = 4
TIMEOUT = 30.0
MAX_WAIT = 300.0


def endpoint_from_environment() -> str:
    endpoint = os.environ.get("SITEGEN_ARXIV_API", "").strip() or DEFAULT_ENDPOINT
    if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
        raise ArxivError(f"SITEGEN_ARXIV_API must be an http or https address, not {endpoint!r}")
    return endpoint


def delay_from_environment() -> float:
    text = os.environ.get("SITEGEN_ARXIV_DELAY", "").strip()
    try:
        value = float(text) if text else DEFAULT_DELAY
    except ValueError:
        raise ArxivError(f"SITEGEN_ARXIV_DELAY must be a number of seconds, not {text!r}") from None
    return max(value, 0.0)


@dataclass
class Client:
    """Asks the arXiv API; never two requests at once, never closer than `delay` seconds."""

    endpoint: str = field(default_factory=endpoint_from_environment)
    delay: float = field(default_factory=delay_from_environment)
    contact: str = ""
    timeout: float = TIMEOUT
    retries: int = RETRIES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0
    _last: float | None = None

    @property
    def user_agent(self) -> str:
        contact = f"; +{self.contact}" if self.contact else ""
        return f"sitegen/{__version__} (reading-list records{contact})"

    def search(self, query: str, start: int = 0, max_results: int = 50) -> Feed:
        """Return one page of the answers to a search_query."""
        return self.get({"search_query": query, "start": str(start), "max_results": str(max_results)})

    def by_ids(self, ids: Sequence[str]) -> Feed:
        """Return the records of up to MAX_IDS ids (an id_list query)."""
        if len(ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} ids per request")
        return self.get({"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))})

    def get(self, parameters: dict[str, str]) -> Feed:
        url = f"{self.endpoint}?{urllib.parse.urlencode(parameters)}"
        for attempt in range(self.retries + 1):
            self._wait(self.delay)
            try:
                data = self._fetch(url)
            except _Retry as retry:
                if attempt == self.retries:
                    raise ArxivError(f"{self.endpoint} {retry.why}, {self.retries + 1} times; try again later") from None
                self._wait(retry.after if retry.after is not None else self.delay * 2 ** (attempt + 1))
                continue
            return parse_feed(data)
        raise AssertionError("unreachable")

    def _wait(self, seconds: float) -> None:
        if self._last is not None:
            left = self._last + seconds - self.clock()
            if left > 0:
                self.sleep(left)
        self._last = self.clock()

    def _fetch(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "application/atom+xml"})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                data: bytes = answer.read()
                kind = answer.headers.get_content_type()
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise _Retry(f"answered {error.code} {error.reason}", _retry_after(error.headers.get("Retry-After"))) from None
            raise ArxivError(f"{self.endpoint} answered {error.code} {error.reason}") from None
        except TimeoutError:
            raise _Retry("did not answer in time", None) from None
        except urllib.error.URLError as error:
            reason = getattr(error.reason, "strerror", None) or str(error.reason)
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise _Retry("did not answer in time", None) from None
            raise ArxivError(f"cannot reach {self.endpoint}: {reason}; check the network or SITEGEN_ARXIV_API") from None
        except OSError as error:
            raise _Retry(f"broke off the answer ({error.strerror or error})", None) from None
        if kind == "text/html":
            raise ArxivError(f"{self.endpoint} answered with a web page, not an Atom feed; check SITEGEN_ARXIV_API")
        return data


class _Retry(Exception):
    def __init__(self, why: str, after: float | None) -> None:
        self.why, self.after = why, after


def _retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (a number, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_WAIT)
