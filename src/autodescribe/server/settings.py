"""Server settings: one pydantic model, validated where the server starts."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from autodescribe.errors import ConfigError

TOKEN_ENV = "AUTODESCRIBE_TOKEN"


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path = Field(Path("autodescribe-data"), description="job store and job folders")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    token: str | None = Field(None, description="bearer token; required off loopback")
    max_upload_bytes: int = Field(2 << 30, gt=0, description="largest accepted upload")
    workers: int = Field(1, ge=0, description="worker processes started with the app")
    poll_seconds: float = Field(0.5, gt=0, description="how often idle workers look for work")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    def check_exposure(self) -> None:
        """Refuse to serve beyond this machine without a token: uploads and files are private."""
        if self.token or is_loopback(self.host):
            return
        raise ConfigError(
            f"refusing to listen on {self.host} without a token",
            f"pass --token or set {TOKEN_ENV}, or listen on 127.0.0.1",
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
