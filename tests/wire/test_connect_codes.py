"""The connect code's shape and the ``remoteapp://connect`` link, as both sides read them.
The link comes from the OS as a program argument: hostile input gets ``BadLink``."""

from __future__ import annotations

import pytest

from remotewire.connect_codes import (
    MAX_LINK,
    BadLink,
    ConnectLink,
    build_link,
    looks_like_code,
    parse_code,
    parse_link,
    to_base36,
)

CODE = "123456789-swxyz1-0123456789abcdef"


def test_codes_in_and_out_of_shape() -> None:
    assert looks_like_code(CODE)
    assert looks_like_code(f"  {CODE.upper()}\n")  # pasted with blanks, shouted
    assert parse_code(CODE) == ("123456789", int("swxyz1", 36), "0123456789abcdef")
    for text in (
        "123456789",
        "123 456 789",
        "12345678-swxyz1-0123456789abcdef",
        "123456789-swxyz1-0123456789abcde",
        "123456789--0123456789abcdef",
        "123456789-swxyz1-0123456789abcdeg",
        CODE + "0",
        "1" * 10_000,
        "",
    ):
        assert not looks_like_code(text), text
        assert parse_code(text) is None


def test_base36_round_trip() -> None:
    for value in (0, 35, 36, 1_700_000_000, 2**40):
        assert int(to_base36(value), 36) == value


def test_a_link_the_console_builds_reads_back() -> None:
    link = build_link("https://help.example:8443/desk/", "demo", CODE, 42)
    assert link.startswith("remoteapp://connect?")
    assert parse_link(link) == ConnectLink("https://help.example:8443/desk", "demo", CODE, 42)
    assert parse_link(build_link("http://127.0.0.1:8080", "acme", CODE)).ticket is None


def test_extra_parameters_and_case_are_tolerated() -> None:
    link = build_link("http://h", "demo", CODE.upper()) + "&from=console"
    assert parse_link(link.replace("remoteapp://connect", "RemoteApp://CONNECT/")).code == CODE


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://connect?server=http://h&app=demo&code=" + CODE, "not a remoteapp:// link"),
        ("remoteapps://connect?server=http://h&app=demo&code=" + CODE, "not a remoteapp://"),
        ("remoteapp://delete?server=http://h&app=demo&code=" + CODE, "not a connect link"),
        ("remoteapp://connect/../x?server=http://h&app=demo&code=" + CODE, "not a connect link"),
        ("remoteapp://connect?server=http://h&app=demo", "no code"),
        ("remoteapp://connect?server=http://h&app=demo&code=", "no code"),
        ("remoteapp://connect?app=demo&code=" + CODE, "no server"),
        ("remoteapp://connect?server=http://h&code=" + CODE, "no app"),
        ("remoteapp://connect?server=http://h&app=demo&code=123456789", "not a connect code"),
        ("remoteapp://connect?server=file:///etc/passwd&app=demo&code=" + CODE, "http(s)"),
        ("remoteapp://connect?server=javascript:alert(1)&app=demo&code=" + CODE, "http(s)"),
        ("remoteapp://connect?server=http://u:p@h&app=demo&code=" + CODE, "more than a host"),
        ("remoteapp://connect?server=http://h:99999999&app=demo&code=" + CODE, "port"),
        ("remoteapp://connect?server=http://h&app=../x&code=" + CODE, "not an app id"),
        ("remoteapp://connect?server=http://h&app=demo&code=" + CODE + "&ticket=-1", "ticket"),
        ("remoteapp://connect?server=http://h&app=demo&code=" + CODE + "&ticket=1e9", "ticket"),
        (
            "remoteapp://connect?server=http://h&app=demo&code=" + CODE + "&ticket=" + "9" * 11,
            "ticket",
        ),
        ("remoteapp://connect?server=http://h&app=demo&app=x&code=" + CODE, "app given 2 times"),
        ("remoteapp://connect?server=http://h&app=demo&code=" + CODE + "%0a", "cannot hold"),
        ("remoteapp://connect?server=http://h%00&app=demo&code=" + CODE, "cannot hold"),
        ("remoteapp://connect?server=http://h&app=d%C3%A9mo&code=" + CODE, "not an app id"),
        ("remoteapp://connect?server=http://h&app=demo&code=" + CODE + "%ff", "unreadable"),
        ("remoteapp://connect?server=http://h&app=demo\ud800&code=" + CODE, "cannot hold"),
        ("remoteapp://connect?server=http://h&app=\udcff&code=" + CODE, "cannot hold"),
        ("remoteapp://connect?server=http://h\n&app=demo&code=" + CODE, "cannot hold"),
        (
            "remoteapp://connect?app=demo&code=" + CODE + "&server=http://" + "h" * MAX_LINK,
            "longer",
        ),
        ("", "not a remoteapp:// link"),
        # urlsplit's ValueError escaped, and the app died instead of saying why
        ("remoteapp://connect?server=https://[help.example&app=demo&code=" + CODE, "well-formed"),
        ("remoteapp://[", "well-formed"),
    ],
)
def test_hostile_links_are_refused_with_a_reason(url: str, why: str) -> None:
    with pytest.raises(BadLink, match=None) as refused:
        parse_link(url)
    assert why in str(refused.value)


def test_a_huge_link_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(BadLink, match="longer than"):
        parse_link("remoteapp://connect?" + "a=b&" * 10_000_000)


def test_not_text_is_refused() -> None:
    with pytest.raises(BadLink):
        parse_link(b"remoteapp://connect")  # type: ignore[arg-type]
