"""The HTTP service: REST API under /v1, a SQLite job store, worker processes, and the web app.

Importing this package stays light; FastAPI is imported by `server.app` only.
"""

from __future__ import annotations
