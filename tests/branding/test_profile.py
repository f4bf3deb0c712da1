"""App profiles: the bundled default, overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from remoteapp.branding.profile import ProfileError, load_profile


def test_default_profile_ships_with_a_logo_and_required_fields() -> None:
    profile = load_profile()
    assert profile.title and profile.app_id and profile.server_url.startswith("http")
    assert profile.logo is not None and profile.logo.is_file()
    required = {f.key for f in profile.fields if f.required}
    assert required == {"name", "email"}


def test_overrides_for_development() -> None:
    profile = load_profile().with_overrides(server_url="http://127.0.0.1:9", app_id="app-7")
    assert (profile.server_url, profile.app_id) == ("http://127.0.0.1:9", "app-7")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"title": "x", "server_url": "http://h"}', "lacks 'app_id'"),
    ],
)
def test_bad_profiles_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "profile.json"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


def test_missing_profile_says_where(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "nope.json")
