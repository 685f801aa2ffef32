"""Where labctl keeps its files: the labctl home directory and what lives in it.

The home is ``platformdirs.user_data_dir("labctl")`` unless the environment variable
``LABCTL_HOME`` names another directory (tests and CI point it at a temporary one).
These functions only compute paths; the code that writes a file creates its directory.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LABCTL_HOME"


def labctl_home() -> Path:
    """The labctl home directory (absolute; not created here)."""
    override = os.environ.get(HOME_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    from platformdirs import user_data_path

    return user_data_path("labctl", appauthor=False).resolve()


def registry_path() -> Path:
    """The embedded registry's SQLite file."""
    return labctl_home() / "registry.db"


def default_registry_url() -> str:
    """The URL of the embedded registry: ``sqlite:///<labctl home>/registry.db``."""
    return f"sqlite:///{registry_path().as_posix()}"


def runs_dir() -> Path:
    """The directory holding one subdirectory (journal and outputs) per run."""
    return labctl_home() / "runs"


def outbox_path() -> Path:
    """The local outbox, beside the runs: records wait here until the registry has them."""
    return labctl_home() / "outbox.db"


def key_path() -> Path:
    """The lab's Ed25519 private key (PEM, PKCS8); its public key sits beside it."""
    return labctl_home() / "keys" / "lab-ed25519.pem"


def person_key_path(person_id: str) -> Path:
    """A person's own Ed25519 private key (PEM, mode 0600), which signs their reviews and
    approvals; its public key sits beside it."""
    return labctl_home() / "keys" / f"person-{person_id}-ed25519.pem"


def trusted_keys_path() -> Path:
    """The lab's trust anchor: the public keys whose records ``registry verify`` accepts as
    the lab's (``LABCTL_TRUSTED_KEYS`` names another file)."""
    override = os.environ.get("LABCTL_TRUSTED_KEYS", "").strip()
    if override:
        return Path(override).expanduser().resolve()
    return labctl_home() / "keys" / "trusted-keys.txt"


def registry_token_path() -> Path:
    """The file a client reads its registry service token from when
    ``LABCTL_REGISTRY_TOKEN`` is not set (mode 0600)."""
    return labctl_home() / "registry-token"
