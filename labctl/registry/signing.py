"""The lab's Ed25519 key, and signing and verifying records.

The lab key lives at ``labctl.paths.key_path()`` (PEM, PKCS8, unencrypted, mode 0600),
created on first use; its public key (PEM, SubjectPublicKeyInfo) sits beside it as
``<name>.pub.pem``. A key is named by its *key id*: the first 16 hex digits of the
SHA-256 of the raw 32-byte public key.

Signing a record sets ``key_id``, then ``hash`` (SHA-256 of the canonical JSON of the
record without ``hash`` and ``signature``, so it covers ``previous`` and ``key_id``),
then ``signature``: Ed25519 over the 32 bytes of the hash, base64. Signatures are checked
by libsodium (``signature_batch``), which refuses small-order public keys, under which
OpenSSL's check accepts a forged signature of any message. Signing does not
choose ``previous``: chaining is the outbox's job (``labctl.registry.outbox``), which
links a record to the registry's last hash of its lab before signing it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from labctl.registry.canonical import record_document, record_hash
from labctl.registry.errors import SigningError
from labctl.registry.record import Record
from labctl.registry.signature_batch import signature_ok


def public_key_path(private_path: Path) -> Path:
    """Where the public key of the private key file ``private_path`` is kept."""
    name = private_path.name.removesuffix(".pem")
    return private_path.with_name(f"{name}.pub.pem")


def load_or_create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The lab's private key from ``path`` (default ``key_path()``), created if missing."""
    if path is None:
        from labctl.paths import key_path

        path = key_path()
    path = Path(path)
    if not path.exists():
        _create_key(path)
    key = _load_private(path)
    pub_path = public_key_path(path)
    if not pub_path.exists():
        _write_public(pub_path, key.public_key())
    return key


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key id: first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """The raw public key in base64, the form the registry stores."""
    return base64.b64encode(raw_public_key(public_key)).decode("ascii")


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A public key from PEM text or from base64 of its 32 raw bytes."""
    data = text.encode("ascii") if isinstance(text, str) else text
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise SigningError(f"the public key is a {type(key).__name__}, not Ed25519")
            return key
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data, validate=True))
    except (ValueError, binascii.Error) as err:
        raise SigningError(f"not an Ed25519 public key: {err}",
                           hint="give PEM text or base64 of the 32 raw bytes") from err


def sign_record(record: Record, key: Ed25519PrivateKey) -> Record:
    """A copy of ``record`` with ``key_id``, ``hash`` and ``signature`` set by ``key``.

    ``previous`` is kept as it is: link the record first (``Record.linked_to``).
    """
    with_key = record.model_copy(
        update={"key_id": key_id(key.public_key()), "hash": None, "signature": None}
    )
    digest = record_hash(with_key)
    signature = base64.b64encode(key.sign(bytes.fromhex(digest))).decode("ascii")
    return with_key.model_copy(update={"hash": digest, "signature": signature})


def verify_stored(doc: Mapping[str, Any], public_key: Any,
                  trusted: Mapping[str, Ed25519PublicKey] | None = None) -> list[str]:
    """Problems with a stored record document's hash and signature ([] when good): its
    key from ``trusted`` (the trust anchor: another key is a problem) or, without one,
    from ``public_key(key_id)`` (the registry's own table)."""
    kid = str(doc.get("key_id"))
    name = f"record {str(doc.get('id'))[:8]}"
    if trusted is not None:
        key = trusted.get(kid)
        if key is None:
            return [f"{name}: signed by key {kid}, which is not a trusted key of the lab"]
    else:
        key = public_key(kid)
        if key is None:
            return [f"{name}: key {kid} is not in this registry"]
    return verify_record(doc, key)


def verify_record(
    record: Record | Mapping[str, Any],
    public_key: Ed25519PublicKey,
    *,
    computed_hash: str | None = None,
) -> list[str]:
    """What is wrong with the record's hash and signature under ``public_key``; [] if nothing.

    ``record`` may be a ``Record`` or its JSON document as stored (verifying the document
    as stored does not depend on this labctl version's record model). ``computed_hash``
    is the document's hash when the caller has already computed it.
    """
    doc = record_document(record)
    name = f"record {str(doc.get('id', '?'))[:8]}"
    return [f"{name}: {problem}" for problem in signed_hash_problems(
        doc, lambda: computed_hash or record_hash(doc), public_key, changed="the content")]


def signed_hash_problems(doc: Mapping[str, Any], content_hash: Callable[[], str],
                         public_key: Ed25519PublicKey, *, changed: str) -> list[str]:
    """What is wrong with a signed document's ``hash`` (against ``content_hash()``, the
    hash of what it holds), its ``key_id`` (against ``public_key``) and its ``signature``
    of the hash; [] when good. ``changed`` names what a hash mismatch says changed.
    Records and review entries are signed alike and checked by this one function."""
    stored_hash, signature, kid = doc.get("hash"), doc.get("signature"), doc.get("key_id")
    if not stored_hash or not signature or not kid:
        return ["not signed (hash, signature or key_id missing)"]
    problems = []
    computed = content_hash()
    if computed != stored_hash:
        problems.append(f"hash mismatch: {changed} changed after signing "
                        f"(stored {str(stored_hash)[:12]}, computed {computed[:12]})")
    expected_kid = key_id(public_key)
    if kid != expected_kid:
        return [*problems, f"signed by key {kid}, but the key given is {expected_kid}"]
    try:
        message = bytes.fromhex(str(stored_hash))
        base64.b64decode(str(signature), validate=True)
    except (binascii.Error, ValueError, TypeError):
        return [*problems, "the signature or hash is not well-formed"]
    if not signature_ok(raw_public_key(public_key), str(signature), message):
        problems.append(f"bad signature: the hash was not signed by key {kid}")
    return problems


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first: use theirs
    except OSError as err:
        raise SigningError(f"cannot create the lab key: {err.strerror}", where=str(path),
                           hint="check LABCTL_HOME and the directory's permissions") from err
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    _write_public(public_key_path(path), key.public_key())


def _write_public(path: Path, public_key: Ed25519PublicKey) -> None:
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(pem)
    os.replace(tmp, path)


def _load_private(path: Path) -> Ed25519PrivateKey:
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise SigningError(f"the lab key is readable by others (mode {mode:o})",
                               where=str(path), hint=f"run: chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except TypeError as err:
        raise SigningError("the lab key is encrypted; labctl needs an unencrypted key",
                           where=str(path)) from err
    except (ValueError, OSError) as err:
        raise SigningError(f"cannot read the lab key: {err}", where=str(path),
                           hint="restore it from backup, or move it away for a new one") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"the lab key is a {type(key).__name__}, not Ed25519", where=str(path))
    return key
