import json
from pathlib import Path

import pytest

from datasette_provenance.outlets import (
    OutletAliases,
    bare_host,
    default_aliases,
    infer_outlet,
    normalise_name,
    outlet_for_url,
    site_domain,
)

SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.mark.parametrize(
    "seed, outlet",
    [
        ("000_04a9a5eec5045a67.txt", "TRT World"),
        ("001_9b0a0d5c8cd9f5d1.txt", "Islam Times"),
        ("002_3ad7aa67cbcc4d25.txt", "Sputnik"),
        ("003_4d6d3eb5b77b4377.txt", "Sputnik"),
        ("004_c3f9bbc9b9d1c23b.txt", "The BRICS Post"),
    ],
)
def test_seed_signatures(seed, outlet):
    """The text alone identifies each seed's outlet (the URL is ignored here)."""
    text = (SEEDS / seed).read_text("utf-8")
    assert infer_outlet(None, text) == outlet


@pytest.mark.parametrize(
    "url, outlet",
    [
        ("https://sputniknews.com/20220203/x.html", "Sputnik"),
        ("https://www.trtworld.com/mea/x", "TRT World"),
        ("https://cdnn1.img.sputniknews.com/img/1.jpg", "Sputnik"),
        ("http://WWW.BBC.CO.UK:80/news", "BBC"),
        ("https://news.bbc.co.uk/x", "BBC"),
        ("bbc.com/news/world", "BBC"),
        ("https://user@tass.com/politics", "TASS"),
        ("https://example.com/x", None),
        ("https://co.uk/x", None),
        ("https://notrt.com/x", None),  # a suffix of the host is not a parent domain
        ("not a url", None),
        ("", None),
        (None, None),
    ],
)
def test_outlet_for_url(url, outlet):
    assert outlet_for_url(url) == outlet


@pytest.mark.parametrize(
    "name, outlet",
    [
        ("ITAR-TASS", "TASS"),
        ("  Agence  France-Presse ", "AFP"),
        ("the associated press", "AP"),
        ("trt world", "TRT World"),  # canonical names are their own aliases
        ("www.reuters.com", "Reuters"),
        ("  Some Local Paper ", "Some Local Paper"),
        ("example.org", "example.org"),
    ],
)
def test_normalise_name(name, outlet):
    assert normalise_name(name) == outlet


def test_url_beats_text_signature():
    text = "Some story\nSputnik\nmore"
    assert infer_outlet("https://www.rt.com/news/1", text) == "RT"
    assert infer_outlet("https://example.com/1", text) == "Sputnik"
    assert infer_outlet(None, "Nothing telling here") is None


def test_signatures_are_multiline_and_anchored_per_line():
    assert infer_outlet(None, "Intro line\n5 MIN READ\nBody") == "TRT World"
    assert infer_outlet(None, "It takes 5 MIN READ time") is None


def test_user_file_extends_and_overrides(tmp_path):
    user = tmp_path / "aliases.json"
    user.write_text(
        json.dumps(
            {
                "domains": {"www.Example.com": "Example News", "rt.com": "Russia Today"},
                "names": {"EXN": "Example News"},
                "signatures": [{"pattern": "^Sputnik$", "outlet": "Not Sputnik"}],
            }
        )
    )
    aliases = OutletAliases.load(user)
    assert aliases.outlet_for_url("https://news.example.com/a") == "Example News"
    assert aliases.outlet_for_url("https://rt.com/a") == "Russia Today"
    assert aliases.outlet_for_url("https://tass.com/a") == "TASS"  # packaged entries kept
    assert aliases.normalise_name("exn") == "Example News"
    assert aliases.normalise_name("example news") == "Example News"
    assert aliases.infer_outlet(None, "x\nSputnik\ny") == "Not Sputnik"
    # The packaged default is untouched by loading a user file.
    assert infer_outlet(None, "x\nSputnik\ny") == "Sputnik"


def test_user_file_may_be_partial(tmp_path):
    user = tmp_path / "aliases.json"
    user.write_text('{"names": {"rossiya segodnya": "Sputnik"}}')
    assert OutletAliases.load(str(user)).normalise_name("Rossiya Segodnya") == "Sputnik"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "invalid JSON"),
        ("[]", "expected a JSON object"),
        ('{"domain": {}}', "unknown keys"),
        ('{"domains": {"x.com": 3}}', "'domains' must map"),
        ('{"signatures": {"pattern": "x"}}', "'signatures' must be a list"),
        ('{"signatures": [{"pattern": "x"}]}', "needs a string 'pattern' and 'outlet'"),
        ('{"signatures": [{"pattern": "(", "outlet": "X"}]}', "bad signature pattern"),
    ],
)
def test_bad_user_file(tmp_path, content, message):
    user = tmp_path / "aliases.json"
    user.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        OutletAliases.load(user)
    assert str(user) in str(info.value)


@pytest.mark.parametrize(
    "name, outlet",
    [
        ("Sputnik International", "Sputnik"),
        ("www.sputnikglobe.com", "Sputnik"),
        ("trt world", "TRT World"),
        ("The Daily Example", None),
        ("example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_lookup_only_knows_known_names(name, outlet):
    assert default_aliases().lookup(name) == outlet


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://www.Example.com:8080/x", "example.com"),
        ("news.example.org/a", "news.example.org"),
        ("http://localhost/x", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_bare_host(url, host):
    assert bare_host(url) == host


def test_site_outlet_order():
    """A web page's outlet: known domains of its URLs in order, then its site name, signature, host."""
    aliases = default_aliases()
    assert aliases.site_outlet("https://www.rt.com/a", "https://tass.com/b") == "RT"
    assert aliases.site_outlet(None, "https://tass.com/b", site_name="Sputnik") == "TASS"
    assert aliases.site_outlet("https://example.com/a", site_name="Sputnik International") == "Sputnik"
    assert aliases.site_outlet("https://example.com/a", site_name="  The Daily   Example ") == "The Daily Example"
    assert aliases.site_outlet("https://example.com/a", text="x\nStory Code : 12\n") == "Islam Times"
    assert aliases.site_outlet(None, "https://www.example.com/a", text="nothing") == "example.com"
    assert aliases.site_outlet(None, None) is None


def test_user_file_extends_site_outlet(tmp_path):
    user = tmp_path / "aliases.json"
    user.write_text(json.dumps({"domains": {"example.com": "Example News"}, "names": {"the daily example": "Example News"}}))
    aliases = OutletAliases.load(user)
    assert aliases.site_outlet("https://example.com/a") == "Example News"
    assert aliases.site_outlet("https://other.org/a", site_name="The Daily Example") == "Example News"


def test_hosts_of_one_unknown_site_are_one_outlet():
    """amp., m. and www. of a site no alias knows are one outlet: its own reuse is not copying between outlets."""
    aliases = default_aliases()
    urls = ["https://amp.example.co.uk/a", "https://m.example.co.uk/a", "https://www.example.co.uk/a",
            "https://news.example.co.uk/a", "https://EXAMPLE.co.uk./a"]
    assert {aliases.site_outlet(url) for url in urls} == {"example.co.uk"}
    # A stated outlet that is a domain (news-please's source_domain, an "outlet" field) is its site too.
    assert {normalise_name(n) for n in ("m.example.org", "WWW.Example.ORG", "example.org")} == {"example.org"}


def test_registered_domain_follows_the_public_suffix_list():
    assert {site_domain(f"https://{h}.bbc.co.uk/x") for h in ("www", "news", "m", "amp.news")} == {"bbc.co.uk"}
    assert outlet_for_url("https://m.bbc.co.uk/news") == "BBC"
    assert site_domain("https://a.b.example.co.uk/x") == "example.co.uk"  # not co.uk, not b.example.co.uk
    assert site_domain("https://www.gov.uk/x") == "gov.uk"
    # Sites on a shared host are separate sites (the list's private section).
    assert site_domain("https://amp.one.blogspot.com/x") == "one.blogspot.com"
    assert site_domain("https://two.blogspot.com/x") == "two.blogspot.com"


def user_aliases(tmp_path, domains):
    """The packaged aliases with a user file of these domains."""
    user = tmp_path / "aliases.json"
    user.write_text(json.dumps({"domains": domains}))
    return OutletAliases.load(user)


def test_specific_domains_keep_their_mapping(tmp_path):
    aliases = user_aliases(tmp_path, {"news.example.com": "Example News", "example.com": "Example Corp"})
    assert aliases.site_outlet("https://m.news.example.com/a") == "Example News"
    assert aliases.site_outlet("https://amp.example.com/a") == "Example Corp"
    assert aliases.site_outlet("https://amp.other.example.org/a") == "example.org"


def test_idn_hosts_in_either_form_are_one_outlet(tmp_path):
    aliases = default_aliases()
    forms = ["https://xn--e1afmkfd.xn--p1ai/a", "https://www.пример.рф/b", "https://НОВОСТИ.Пример.РФ/c",
             "https://xn--b1amnebsh.xn--e1afmkfd.xn--p1ai/d"]  # the last is новости.пример.рф
    assert {aliases.site_outlet(url) for url in forms} == {"пример.рф"}
    assert bare_host("https://xn--mnchen-3ya.de/") == bare_host("https://MÜNCHEN.de/") == "münchen.de"
    known = user_aliases(tmp_path, {"пример.рф": "Primer", "xn--mnchen-3ya.de": "München Zeitung"})
    assert known.outlet_for_url("https://news.xn--e1afmkfd.xn--p1ai/x") == "Primer"
    assert known.outlet_for_url("https://www.münchen.de/x") == "München Zeitung"
    assert known.normalise_name("xn--e1afmkfd.xn--p1ai") == "Primer"


def test_hosts_that_are_no_domain_name():
    """IP addresses are their own site, loopback names none (like localhost); a suffix the list lacks keeps
    the host, and a host that is a public suffix is itself."""
    site = default_aliases().site_outlet
    assert site("http://203.0.113.5:8080/x") == "203.0.113.5"
    assert site("http://[2001:DB8:0::1]/x") == "2001:db8::1"
    assert site("http://127.0.0.1:8001/x") is None
    assert site("http://[::1]/x") is None
    assert site("http://localhost:8001/x") is None
    assert site("https://www.news.intranet.corp/x") == "news.intranet.corp"
    assert site("https://co.uk/x") == "co.uk"
    assert site("https://my_site.example.com/x") == "example.com"  # not a valid IDN, still a host


def test_public_suffix_list_is_never_downloaded(tmp_path, monkeypatch):
    """tld downloads the list when it cannot read its copy; here the list is missing and nothing is fetched."""
    import tld.base

    from datasette_provenance import outlets

    fetched = []

    def urlopen(url, *args, **kwargs):
        fetched.append(url)
        raise OSError("no network in tests")

    monkeypatch.setattr(tld.base, "urlopen", urlopen)
    monkeypatch.setattr(outlets._BundledSuffixes, "local_path", str(tmp_path / "missing.dat"))
    outlets._registered_domain.cache_clear()
    try:
        assert site_domain("https://amp.example.co.uk/x") == "amp.example.co.uk"  # no list: the bare host
    finally:
        outlets._registered_domain.cache_clear()
    assert fetched == []
