"""Stored webhook bodies that are still the JWT Wix delivered: decoded (and, given the public key, its
RS256 signature verified) into the inner Stores payload, and what the wrapper held that the event does
not carry."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

import orjson

from .engine.webhook_table import WebhookSpec
from .jsonio import loads
from .paths import is_empty, key_step
from .report import ConversionError, Entry, Problem, describe


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a stored JWT body held: the inner Stores payload and its wrapper."""

    event_type: str | None
    instance_id: str | None
    body: Any
    identity: Any
    issued_at: int | Decimal | None  # the iat when it is a time: seconds since 1970, a fraction kept exact
    verified: bool
    # What the wrapper held that the event does not carry and no other entry names: (path, message).
    unused: tuple[tuple[str, str], ...] = ()


def load_public_key(value: str) -> str:
    """A PEM file path, PEM text, or base64 of PEM text (as Wix's dashboard shows it)."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        try:
            if FsPath(text).is_file():
                text = FsPath(text).read_text(encoding="utf-8").strip()
        except OSError:
            pass  # not a path (too long for one, say): try it as base64 below
    if not text.startswith("-----BEGIN"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8").strip()
        except (ValueError, UnicodeDecodeError):
            if FsPath(text).suffix.lower() in (".pem", ".pub", ".key", ".txt") or "/" in text:
                raise ValueError(f"{text}: no such file (the public key: a PEM file, PEM text or base64 of it)") from None
            raise ValueError("the public key is neither a PEM file, PEM text, nor base64 of PEM text") from None
        if not text.startswith("-----BEGIN"):
            raise ValueError("the public key's base64 does not hold PEM text")
    return text


def decode_delivery(token: str, public_key: str | None) -> Delivery:
    """Decode a stored webhook JWT; with a key, verify RS256 first. Stored tokens are long expired."""
    import jwt  # PyJWT and its cryptography cost 30 ms to import: paid only by a run that holds a JWT

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ConversionError([Problem("$", f"not a valid JWT: {exc}")]) from None
    if header.get("alg") != "RS256":
        raise ConversionError([Problem("$", f"JWT algorithm {header.get('alg')!r} refused: Wix signs webhooks with RS256")])
    try:
        if public_key is not None:
            claims = jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False})
        else:
            claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.InvalidSignatureError:
        raise ConversionError(
            [Problem("$", "JWT signature does not match the public key: the body was altered or signed by someone else")]
        ) from None
    except (jwt.PyJWTError, ValueError) as exc:
        raise ConversionError([Problem("$", f"JWT cannot be verified: {exc}")]) from None
    # PyJWT parsed the claims with json.loads (a repeated key read as its last, an iat a float): read the
    # payload it checked again as every input is read, exact and strict.
    claims = _strict_claims(token)
    data = claims.get("data")
    wrapper = json_claim(data, "$.jwt.data")
    if not isinstance(wrapper, dict):
        raise ConversionError([Problem("$.jwt.data", f"expected a JSON object, got {describe(wrapper)}")])
    body = json_claim(wrapper.get("data"), "$.jwt.data.data")
    identity = json_claim(wrapper.get("identity"), "$.jwt.data.identity") if wrapper.get("identity") is not None else None
    iat = claims.get("iat")
    issued_at = iat if isinstance(iat, (int, Decimal)) and not isinstance(iat, bool) and iso_time(iat) else None
    unused: list[tuple[str, str]] = []
    if issued_at is None and "iat" in claims:
        unused.append(
            (
                "$.jwt.iat",
                f"the JWT's iat {describe(iat)} is not a time (seconds since 1970 within the years 1-9999): the event's time is the body's own",
            )
        )
    # The claims and wrapper keys nothing reads (exp, iss, ...) belong to the delivery: each is named, so
    # no field of the stored JWT is lost without a word.
    # An eventType or instanceId that is no string is not read either.
    read_wrapper = {"data", "identity"} | {k for k in ("eventType", "instanceId") if isinstance(wrapper.get(k), str)}
    for path, held, read in (("$.jwt", claims, {"data", "iat"}), ("$.jwt.data", wrapper, read_wrapper)):
        for key, value in held.items():
            if key not in read and not is_empty(value):
                unused.append((path + key_step(key), f"{describe(value)} belongs to the JWT's delivery, not to the event"))
    return Delivery(
        event_type=wrapper.get("eventType") if isinstance(wrapper.get("eventType"), str) else None,
        instance_id=wrapper.get("instanceId") if isinstance(wrapper.get("instanceId"), str) else None,
        body=body,
        identity=identity,
        issued_at=issued_at,
        verified=public_key is not None,
        unused=tuple(unused),
    )


def _strict_claims(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    try:
        claims = loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem("$.jwt", f"not valid JSON: {exc}")]) from None
    if not isinstance(claims, dict):  # PyJWT refuses such a payload first; said again for the type checker
        raise ConversionError([Problem("$.jwt", f"expected a JSON object, got {describe(claims)}")])
    return claims


def json_claim(value: Any, path: str) -> Any:
    """Wix nests JSON as strings inside the JWT: decode one layer."""
    if isinstance(value, (dict, list)):
        return value
    if not isinstance(value, str):
        raise ConversionError([Problem(path, f"expected a JSON string, got {describe(value)}")])
    try:
        return loads(value.encode("utf-8"))
    except orjson.JSONDecodeError as exc:
        raise ConversionError([Problem(path, f"not valid JSON: {exc}")]) from None


def iso_time(epoch_seconds: int | Decimal) -> str | None:
    """An iat (RFC 7519's NumericDate, which may have a fraction) as ISO 8601 to the millisecond."""
    if not _FIRST_SECOND <= epoch_seconds <= _LAST_SECOND:  # exact, and no huge int() of 1e400 built
        return None  # an iat no calendar holds: the body's own dates are used instead
    whole = int(epoch_seconds)
    try:
        moment = datetime.fromtimestamp(whole, timezone.utc)
        moment += timedelta(milliseconds=int((epoch_seconds - whole) * 1000))  # truncated, as isoformat does
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since 1970.
_FIRST_SECOND, _LAST_SECOND = -62135596800, 253402300799


def delivery_entries(delivery: Delivery, spec: WebhookSpec | None) -> list[Entry]:
    out = []
    if not delivery.verified:
        out.append(
            Entry(
                "unverified",
                "$",
                "the JWT signature was not verified (no public key given): do not trust this body blindly",
                None,
            )
        )
    if delivery.instance_id:
        out.append(
            Entry(
                "dropped",
                "$.jwt.data.instanceId",
                f"the site instance {delivery.instance_id} belongs to the delivery, not to the event",
                None,
            )
        )
    if delivery.identity not in (None, {}, ""):
        out.append(
            Entry(
                "dropped",
                "$.jwt.data.identity",
                f"the delivery's identity ({describe(delivery.identity)}) belongs to the JWT wrapper, not to the event",
                None,
            )
        )
    out.extend(Entry("dropped", path, message, None) for path, message in delivery.unused)
    return out
