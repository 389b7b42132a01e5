"""Issue 13, item 1: no fragment of the token survives a cut.

A server that echoes the token in a ``detail`` (cut to 500 characters), a Location
(200), an HTML page (200), a scimType (100) or a header makes a message in which the
token was redacted *before* the cut, and in which any piece of it that a cut (ours or
the server's) left at an edge is redacted too. The test looks for the longest run of
the token's characters in each message: a few characters may match by chance, never 4.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import httpx
import pytest
from httpfakes import BASE, TOKEN, Script, answer

from reconciler.errors import ScimError
from reconciler.scim.client import ScimClient
from reconciler.scim.redaction import (
    NO_SECRETS,
    REDACTED,
    Secrets,
    clipped,
    cut,
    forget_output_tokens,
    keep_out_of_output,
    redacted,
    scrub,
    tidy,
)
from reconciler.scim.retry import RetryPolicy
from tests.reliability.support import FILLER, longest_run, random_token
from tests.reliability.support import LONG_TOKEN as LONG
from tests.reliability.support import SHORT_TOKEN as SHORT

MakeClient = Callable[..., ScimClient]
Echo = Callable[[str], Callable[[httpx.Request], httpx.Response]]
ECHOES: dict[str, Echo] = {
    "json-detail": lambda tok: answer(500, json={"detail": f"you sent Bearer {tok}"}),
    "json-detail-after-filler": lambda tok: answer(400, json={"detail": f"{FILLER}Bearer {tok}"}),
    "json-detail-cut-by-the-server": lambda tok: answer(
        400, json={"detail": f"{FILLER[:300]} Bearer {tok[: len(tok) // 2]}"}
    ),
    "json-detail-tail-only": lambda tok: answer(400, json={"detail": f"{tok[len(tok) // 2 :]}!"}),
    "scim-type": lambda tok: answer(409, json={"scimType": f"{FILLER[:90]}{tok}"}),
    "location": lambda tok: answer(
        302, headers={"Location": f"https://x.test/{FILLER[:150]}{tok}"}
    ),
    "location-percent-encoded": lambda tok: answer(
        302, headers={"Location": f"https://x.test/?a={FILLER[:100]}{quote(tok, safe='')}"}
    ),
    "html-excerpt": lambda tok: answer(
        502, text=f"<html><p>{FILLER[:170]}</p><pre>{tok}</pre></html>"
    ),
    "html-entities": lambda tok: answer(
        502, text="<p>" + "".join(f"&#{ord(c)};" for c in tok) + "</p>"
    ),
    "plain-text": lambda tok: answer(500, text=f"{FILLER[:190]}{tok}"),
}


@pytest.mark.parametrize("token", [LONG, SHORT], ids=["810-chars", "short"])
@pytest.mark.parametrize("echo", list(ECHOES))
def test_no_fragment_of_the_token_survives_a_cut(token: str, echo: str) -> None:
    transport = httpx.MockTransport(Script(ECHOES[echo](token)))
    client = ScimClient(BASE, token, transport=transport, retry=RetryPolicy(max_attempts=1))
    with client, pytest.raises(ScimError) as caught:
        client.get("/Users")
    message = str(caught.value)
    assert longest_run(message, token) < 4, message
    assert REDACTED in message, message


def _spelled(text: str, at: tuple[int, ...]) -> str:
    """``text`` as JSON string content, with the characters at ``at`` escaped."""
    escaped = {"/": "\\/", '"': '\\"', "\\": "\\\\"}
    return "".join(
        (escaped.get(c) or f"\\u{ord(c):04X}") if i in at else c for i, c in enumerate(text)
    )


@pytest.mark.parametrize("at", [(), (0, len(TOKEN) - 1), (1, 20), (5,)])
def test_data_that_echoes_the_token_is_read_exactly_and_redacted_on_output(
    make_client: MakeClient, at: tuple[int, ...]
) -> None:
    """Issue 17: a name is what the server sent, the token in it included (a sandbox's
    token ``example`` made every ``@example.com`` read as ``@[redacted].com``); it is
    removed from what is written, however the body spelled it (JSON escapes such as
    ``\\u0074`` or ``\\/``)."""
    name = f"x{_spelled(TOKEN, at)}y"
    body = f'{{"Resources": [{{"id": "u1", "userName": "{name}", "title": "{TOKEN[:20]}"}}]}}'
    client = make_client(Script(answer(200, content=body.encode())))
    (user,) = client.get("/Users")["Resources"]
    assert user == {"id": "u1", "userName": f"x{TOKEN}y", "title": TOKEN[:20]}
    shown = redacted(json.dumps(user))
    assert longest_run(shown, TOKEN) < 4, shown
    assert f"x{REDACTED}y" in shown


# --- the functions themselves ----------------------------------------------------------


def test_cut_redacts_a_prefix_left_at_the_edge() -> None:
    """Seven characters of the token inside a word are shown (too few to tell from a
    name); a cut that leaves five of them at the end of the message redacts those."""
    secrets = Secrets.of(SHORT)
    text = scrub(f"{FILLER[:30]} id=x{SHORT[:7]}y and more", secrets)
    assert SHORT[:7] in text  # scrub left them: only the cut can act
    shown = cut(text, 30 + 5 + 5 + 1, secrets)  # the cut falls after 5 of the 7
    assert shown == f"{FILLER[:30]}{REDACTED}…"  # the marker whole, within the limit
    assert longest_run(shown, SHORT) < 4
    assert cut(text, 30 + 5 + 3 + 1, secrets) == f"{FILLER[:30]} id=x{SHORT[:3]}…"  # 3: kept


@pytest.mark.parametrize("limit", range(1, 40))
@pytest.mark.parametrize("before", [0, 15])
def test_cut_keeps_a_marker_whole_within_its_limit(limit: int, before: int) -> None:
    text = f"{'x' * before}{REDACTED}{'y' * 20}"
    shown = cut(text, limit, NO_SECRETS)
    assert len(shown) <= limit, shown
    assert shown == text or shown.endswith("…")
    assert "[" not in shown or REDACTED in shown, shown  # never half a marker


def test_scrub_redacts_a_fragment_the_server_cut_at_either_end() -> None:
    secrets = Secrets.of(SHORT)
    assert scrub(SHORT[:5], secrets) == REDACTED  # a prefix at the end
    said = " is what you sent"
    assert scrub(f"{SHORT[-3:]}{said}", secrets) == f"{SHORT[-3:]}{said}"  # 3: too short
    assert scrub(f"{SHORT[-6:]}{said}", secrets) == f"{REDACTED}{said}"


def test_scrub_redacts_long_runs_anywhere() -> None:
    secrets = Secrets.of(LONG)
    text = f"before {LONG[100:140]} after"
    assert longest_run(scrub(text, secrets), LONG) < 4


def test_tidy_without_secrets_only_cleans_and_cuts() -> None:
    assert tidy("a\x1b[2J  b\ud800c", 100, NO_SECRETS) == "a [2J b c"
    assert tidy("x" * 10, 5) == "xxxx…"


@pytest.mark.parametrize("safe", ["", "/"])
def test_a_percent_encoded_echo_is_redacted_whole(safe: str) -> None:
    """A server that quotes the token into a Location, with ``/`` left as it is (Python's
    default) or encoded, shows none of its pieces."""
    token = "Zm9v+YmFy/YmF6+cXV4/cXV1eA==0123/abc+"
    shown = scrub(f"https://x.test/cb?t={quote(token, safe=safe)} end", Secrets.of(token))
    assert shown == f"https://x.test/cb?t={REDACTED} end"


# --- issue 17: short tokens, and the marker itself --------------------------------------


@pytest.mark.parametrize("token", ["t", "e", "d", "]", "[", "ed]", "[re", "1"])
def test_the_marker_is_never_redacted_again(token: str) -> None:
    """A one-character token once made ``-v`` print ``coun[redac[redacted]ed]``: the
    marker holds the token's character, and a second pass redacted it too."""
    secrets = Secrets.of(token)
    text = f"GET /Groups?count=100 Bearer {token} {REDACTED}"
    once = tidy(text, 300, secrets)
    assert tidy(once, 300, secrets) == once == scrub(once, secrets)
    assert once.endswith(f"Bearer {REDACTED} {REDACTED}"), once
    assert once.count("[") == once.count("]") == 2, once


def test_a_short_token_is_redacted_only_where_it_stands_as_a_word() -> None:
    """``t`` or ``example`` is a sandbox's token: redacted as a word, never inside a
    longer one, and no fragment of it (four letters of ``example`` are any name's)."""
    assert tidy("GET /Groups?count=100&startIndex=1 -> 200", 300, Secrets.of("t")) == (
        "GET /Groups?count=100&startIndex=1 -> 200"
    )
    secrets = Secrets.of("example")
    assert scrub("alice@example.com", secrets) == f"alice@{REDACTED}.com"
    assert scrub("examples and counterexample", secrets) == "examples and counterexample"
    assert scrub("exam", secrets) == "exam" and cut("x exampl", 7, secrets) == "x exam…"
    assert scrub("Bearer t", Secrets.of("t")) == f"Bearer {REDACTED}"
    assert scrub("counterexamples", Secrets.of("examples")) == f"counter{REDACTED}"  # 8: anywhere


def test_a_token_quoted_in_json_is_redacted() -> None:
    token = 'ab"cd\\ef-0123456789'
    shown = scrub(json.dumps({"detail": f"x{token}y"}), Secrets.of(token))
    assert shown == f'{{"detail": "x{REDACTED}y"}}'


def test_a_token_with_a_space_and_a_slash_is_redacted_in_each_percent_encoding() -> None:
    """quote with ``/`` encoded writes the space as %20, quote_plus as ``+``: both."""
    token = "ab cd/ef-0123456789"
    secrets = Secrets.of(token)
    for spelled in (quote(token, safe=""), quote_plus(token), quote(token)):
        assert scrub(f"?t={spelled}&x", secrets) == f"?t={REDACTED}&x", spelled


def test_a_token_quoted_in_json_with_its_own_letters_is_redacted() -> None:
    """JSON written with ensure_ascii=False keeps é as é: that spelling is a form too."""
    token = 'ab"cdé-0123456789'
    text = json.dumps({"detail": f"x{token}y"}, ensure_ascii=False)
    assert scrub(text, Secrets.of(token)) == f'{{"detail": "x{REDACTED}y"}}'


def test_a_marker_already_there_is_no_part_of_a_run() -> None:
    """A token holding the marker's last letters: a run of it after a marker is redacted
    on its own, never joined with the marker's letters (which would break the marker)."""
    token = "ted]" + random_token(12, seed=5)
    assert scrub(f"{REDACTED}{token[4:]}", Secrets.of(token)) == REDACTED + REDACTED


def test_the_renderers_cut_redacts_the_kept_token() -> None:
    token = random_token(40, seed=8)
    forget_output_tokens()
    try:
        keep_out_of_output(token)
        text = f"{'x' * 50} {token} {'y' * 50}"
        for limit in (20, 60, 80, 200):
            shown = clipped(text, limit)
            assert len(shown) <= limit and longest_run(shown, token) < 4, shown
        assert redacted(text) == f"{'x' * 50} {REDACTED} {'y' * 50}"
    finally:
        forget_output_tokens()
    assert redacted(text) == text == clipped(text, 500)


def test_every_run_of_the_token_is_redacted_not_only_the_last() -> None:
    token = random_token(40, seed=9)
    secrets = Secrets.of(token)
    text = f"a {token[2:20]} b {token[20:38]} c {token[5:25]}"
    assert scrub(text, secrets) == f"a {REDACTED} b {REDACTED} c {REDACTED}"


def test_a_run_takes_no_character_before_it_that_is_not_its_own() -> None:
    """The character before the run is the token's last one: it is not part of the run."""
    token = random_token(30, seed=11)
    shown = scrub(f"x{token[-1]}{token[:20]}x", Secrets.of(token))
    assert shown == f"x{token[-1]}{REDACTED}x"


def test_every_place_of_a_piece_is_redacted() -> None:
    """The same 16 characters three times: the middle one too."""
    token = random_token(30, seed=12)
    shown = scrub(f"a {token[8:24]} b {token[8:24]} c {token[8:24]} d", Secrets.of(token))
    assert shown == f"a {REDACTED} b {REDACTED} c {REDACTED} d"


def test_runs_that_overlap_or_touch_are_one() -> None:
    token = "a" * 8 + random_token(12, seed=13)
    assert scrub("x" + "a" * 9 + "x", Secrets.of(token)) == f"x{REDACTED}x"
    other = random_token(30, seed=14)
    assert scrub(f"x{other[:16]}{other[:16]}x", Secrets.of(other)) == f"x{REDACTED}x"


def test_the_longest_prefix_at_the_end_is_redacted() -> None:
    """A token whose first 4 characters come back inside it: the whole prefix goes."""
    token = "aaaaaZ0123456789xyz"
    assert scrub("see aaaaa", Secrets.of(token)) == f"see {REDACTED}"
