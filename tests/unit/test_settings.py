"""``BaseURL``: the two public base URLs an operator configures, and ``Settings.from_env``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mixcast.errors import ConfigError
from mixcast.settings import BaseURL, Settings


@pytest.mark.parametrize(
    ("url", "scheme", "host", "prefix"),
    [
        ("http://localhost:8000", "http", "localhost:8000", ""),
        ("http://localhost:8000/", "http", "localhost:8000", ""),
        ("http://localhost:8000/api", "http", "localhost:8000", "/api"),
        ("http://localhost:8000/api/", "http", "localhost:8000", "/api"),
        ("https://api.example.com", "https", "api.example.com", ""),
        ("https://API.Example.COM/V1/", "https", "api.example.com", "/V1"),
        ("HTTPS://www.example.com", "https", "www.example.com", ""),
        ("http://example.com/a/b/", "http", "example.com", "/a/b"),
        ("http://[::1]:8000/api", "http", "[::1]:8000", "/api"),
        ("http://127.0.0.1:9/", "http", "127.0.0.1:9", ""),
    ],
)
def test_parse(url, scheme, host, prefix):
    base = BaseURL.parse(url)
    assert (base.scheme, base.host, base.prefix) == (scheme, host, prefix)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "localhost:8000",
        "example.com",
        "/api",
        "ftp://example.com",
        "ws://example.com",
        "http://",
        "http:///api",
        "http://example.com/?x=1",
        "http://example.com/#top",
    ],
)
def test_unusable_urls_are_a_config_error(url):
    with pytest.raises(ConfigError):
        BaseURL.parse(url)


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://localhost:8000/api/", "http://localhost:8000/api"),
        ("https://API.example.com", "https://api.example.com"),
    ],
)
def test_str_has_no_trailing_slash(url, text):
    assert str(BaseURL.parse(url)) == text
    assert BaseURL.parse(str(BaseURL.parse(url))) == BaseURL.parse(url)


def test_join_puts_a_key_under_the_base():
    assert BaseURL.parse("http://localhost:8000/api/").join("/spartacus/") == (
        "http://localhost:8000/api/spartacus/"
    )
    assert BaseURL.parse("https://www.example.com").join("/genres/funk/") == (
        "https://www.example.com/genres/funk/"
    )


def test_from_env_defaults():
    settings = Settings.from_env({})
    assert str(settings.site_url) == "http://localhost:8000"
    assert str(settings.api_url) == "http://localhost:8000/api"


def test_from_env_reads_the_base_urls_and_backends(tmp_path: Path):
    settings = Settings.from_env(
        {
            "MIXCAST_SITE_URL": "https://www.example.com/",
            "MIXCAST_API_URL": "https://api.example.com/",
            "MIXCAST_DATA_DIR": str(tmp_path),
            "MIXCAST_SITE_NAME": "radio",
        }
    )
    assert settings.site_url == BaseURL("https", "www.example.com", "")
    assert settings.api_url == BaseURL("https", "api.example.com", "")
    assert settings.site_name == "radio"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'mixcast.db'}"
    assert settings.effective_storage_url == f"file://{tmp_path / 'media'}"


def test_from_env_refuses_a_bad_base_url():
    with pytest.raises(ConfigError):
        Settings.from_env({"MIXCAST_API_URL": "api.example.com"})
