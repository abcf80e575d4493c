"""Map the many spellings of an outlet (domain, agency name, page boilerplate) to one name.

The packaged ``data/outlets.json`` can be extended by a user file of the same
shape, so new outlets need no code change::

    {"domains": {"example.com": "Example"},
     "names": {"example news": "Example"},
     "signatures": [{"pattern": "^Example Newsroom$", "outlet": "Example"}],
     "roles": {"Example": "publisher", "Example Wire": "agency"}}

Signature patterns are multiline regular expressions searched in the article
text. User entries win: their domains and names replace packaged ones, and
their signatures are tried first.

A known domain covers its subdomains, and the most specific entry wins
(``news.example.com`` before ``example.com``). A site that no entry knows is
its registered domain by the public-suffix list, so ``amp.``, ``m.`` and
``www.`` of one site are one outlet and its own reuse is not read as copying
between outlets. Host names are compared in one IDNA form, shown in Unicode.

An outlet's role is evidence of direction: an agency's text flows to its clients (``publisher``),
rarely the reverse, so a client's earlier copy of an agency's background paragraphs does not make
the agency its copier. Roles are keyed by canonical outlet name; the user's file wins.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import idna
from tld import get_fld
from tld.utils import MozillaTLDSourceParser, get_tld_names

__all__ = [
    "OutletAliases", "bare_host", "default_aliases", "normalise_name", "outlet_for_url", "infer_outlet", "site_domain",
]


@dataclass(frozen=True)
class OutletAliases:
    domains: dict[str, str]  # bare lower-case domain -> outlet
    names: dict[str, str]  # lower-case, whitespace-collapsed name -> outlet
    signatures: tuple[tuple[re.Pattern[str], str], ...]
    roles: dict[str, str] = field(default_factory=dict)  # lower-case outlet name -> agency | publisher

    @classmethod
    def load(cls, extra_path: str | Path | None = None, text: str | None = None) -> OutletAliases:
        """Packaged aliases merged with the user's file (or its ``text``, as a database keeps it);
        ValueError if that file is malformed."""
        packaged = resources.files(__package__).joinpath("data/outlets.json").read_text("utf-8")
        layers = [_parse_layer(packaged, "packaged outlets.json")]
        if extra_path is not None or text is not None:
            text = Path(extra_path).read_text("utf-8") if text is None else text
            layers.append(_parse_layer(text, str(extra_path or "the --aliases file the database keeps")))
        domains: dict[str, str] = {}
        names: dict[str, str] = {}
        signatures: list[tuple[re.Pattern[str], str]] = []
        roles: dict[str, str] = {}
        for layer in layers:
            roles |= {name_key(o): r for o, r in layer["roles"].items()}
            domains |= {(_bare_host(d) or d.strip().lower()): o for d, o in layer["domains"].items()}
            names |= {name_key(n): o for n, o in layer["names"].items()}
            signatures[:0] = layer["signatures"]
        # Every canonical name is also its own alias, so "trt world" finds "TRT World".
        canonical = {*domains.values(), *names.values(), *(o for _, o in signatures)}
        names = {name_key(o): o for o in canonical} | names
        return cls(domains, names, tuple(signatures), roles)

    def role(self, outlet: str | None) -> str | None:
        """``agency`` or ``publisher`` for an outlet the files know, by any of its names; else None."""
        if not outlet:
            return None
        return self.roles.get(name_key(self.lookup(outlet) or outlet))

    def normalise_name(self, name: str) -> str:
        """Canonical outlet for a stated name or domain; an unknown domain is its site (``m.example.com``
        is ``example.com``), and other unknown names come back stripped."""
        if outlet := self.lookup(name):
            return outlet
        if _DOMAIN.fullmatch(key := name_key(name)) and (host := bare_host(key)):
            return _registered_domain(host) or name.strip()
        return name.strip()

    def lookup(self, name: str | None) -> str | None:
        """Canonical outlet for a known name or domain (``Sputnik International``, ``www.rt.com``), else None."""
        if not name:
            return None
        key = name_key(name)
        if key in self.names:
            return self.names[key]
        if _DOMAIN.fullmatch(key):
            return self.outlet_for_url(key)
        return None

    def site_outlet(self, *urls: str | None, site_name: str | None = None, text: str = "") -> str | None:
        """The outlet of a web page: a known domain of its URLs (in order), a known site name, the site
        name as given, the page's signature lines, and last the site of the first URL (see site_domain)."""
        for url in urls:
            if outlet := self.outlet_for_url(url):
                return outlet
        if site_name and site_name.strip():
            return self.lookup(site_name) or " ".join(site_name.split())
        for pattern, outlet in self.signatures:
            if pattern.search(text):
                return outlet
        return next((site for url in urls if (site := site_domain(url))), None)

    def outlet_for_url(self, url: str | None) -> str | None:
        """Outlet whose domain is the URL's host or a parent of it (cdn.x.com -> x.com)."""
        host = bare_host(url)
        if not host:
            return None
        labels = host.split(".")
        for i in range(len(labels) - 1):
            if (outlet := self.domains.get(".".join(labels[i:]))) is not None:
                return outlet
        return None

    def infer_outlet(self, url: str | None, text: str) -> str | None:
        """The URL is the strongest evidence; page boilerplate is the fallback."""
        if outlet := self.outlet_for_url(url):
            return outlet
        for pattern, outlet in self.signatures:
            if pattern.search(text):
                return outlet
        return None


@cache
def default_aliases() -> OutletAliases:
    """The packaged aliases, loaded once."""
    return OutletAliases.load()


def normalise_name(name: str, aliases: OutletAliases | None = None) -> str:
    return (aliases or default_aliases()).normalise_name(name)


def outlet_for_url(url: str | None, aliases: OutletAliases | None = None) -> str | None:
    return (aliases or default_aliases()).outlet_for_url(url)


def infer_outlet(url: str | None, text: str, aliases: OutletAliases | None = None) -> str | None:
    return (aliases or default_aliases()).infer_outlet(url, text)


def read_alias_json(raw: str, origin: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """One user-extendable alias file as a JSON object with only ``keys``; errors name the file."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"{origin}: invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: expected a JSON object")
    unknown = set(data) - set(keys) - {"about"}
    if unknown:
        raise ValueError(f"{origin}: unknown keys {sorted(unknown)}; expected {', '.join(keys)}")
    return data


def _parse_layer(raw: str, origin: str) -> dict[str, Any]:
    """Validate one alias file, naming the file and the bad entry on error."""
    data = read_alias_json(raw, origin, ("domains", "names", "signatures", "roles"))
    roles = data.setdefault("roles", {})
    if not isinstance(roles, dict) or not all(isinstance(k, str) and k.strip() and v in ROLES for k, v in roles.items()):
        raise ValueError(f"{origin}: 'roles' must map outlet names to one of {', '.join(ROLES)}")
    for key in ("domains", "names"):
        mapping = data.setdefault(key, {})
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in mapping.items()
        ):
            raise ValueError(f"{origin}: '{key}' must map non-empty strings to outlet names")
    entries = data.get("signatures", [])
    if not isinstance(entries, list):
        raise ValueError(f"{origin}: 'signatures' must be a list")
    signatures = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("pattern"), str)
                and isinstance(entry.get("outlet"), str) and entry["outlet"].strip()):
            raise ValueError(f"{origin}: each signature needs a string 'pattern' and 'outlet': {entry!r}")
        try:
            signatures.append((re.compile(entry["pattern"], re.MULTILINE), entry["outlet"]))
        except re.error as e:
            raise ValueError(f"{origin}: bad signature pattern {entry['pattern']!r}: {e}") from None
    data["signatures"] = signatures
    return data


def bare_host(url: str | None) -> str | None:
    """``www.Example.com`` for ``https://www.Example.com:8080/x`` is ``example.com``, and
    ``xn--e1afmkfd.xn--p1ai`` is ``пример.рф``; an IP address as ipaddress writes it; None if there is
    no host or it names no site (``localhost``, ``127.0.0.1``)."""
    if not url:
        return None
    if "://" not in url and not url.startswith("//"):
        url = "//" + url
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return _bare_host(host) if host else None


def site_domain(url: str | None) -> str | None:
    """The site of a URL for an outlet that no alias knows: the registered domain of its host by the
    public-suffix list (``amp.news.example.co.uk`` is ``example.co.uk``, ``user.blogspot.com`` stays
    itself), else the bare host (an IP address, a suffix the list lacks such as ``intranet.corp``)."""
    host = bare_host(url)
    return host and (_registered_domain(host) or host)


ROLES = ("agency", "publisher")
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")


@lru_cache(maxsize=65536)
def _bare_host(host: str) -> str | None:
    host = host.strip().lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None if address.is_loopback or address.is_unspecified else address.compressed
    if "." not in host:
        return None
    if not host.isascii() or "xn--" in host:
        try:  # UTS 46, as browsers do: case, width and composition mapped; xn-- labels decoded
            host = idna.decode(host, uts46=True)
        except (idna.IDNAError, UnicodeError):
            pass  # not a valid IDN (an underscore, an empty label): compared as written
    return host.removeprefix("www.")


class _BundledSuffixes(MozillaTLDSourceParser):
    """tld's bundled public-suffix list. Where tld cannot read its copy it downloads the list from
    publicsuffix.org; this parser never does, so that a load reads nothing from the network."""

    uid = "datasette_provenance_bundled"

    @classmethod
    def update_tld_names(cls, fail_silently: bool = False) -> bool:
        return False


@lru_cache(maxsize=65536)
def _registered_domain(host: str) -> str | None:
    """The registered domain of a bare host, or None under no known public suffix."""
    if not get_tld_names(fail_silently=True, parser_class=_BundledSuffixes):
        return None
    return get_fld(host, fix_protocol=True, fail_silently=True, parser_class=_BundledSuffixes)


def name_key(name: str) -> str:
    """How outlet names are compared (and roles keyed): case and spacing folded."""
    return " ".join(name.split()).lower()
