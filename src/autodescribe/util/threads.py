"""How many stills a stage whose library releases the GIL works on at once.

One per core, up to 4: each thread holds its own copy of the model's per-call
state (a face detector, an ONNX Runtime run), so more threads than cores only
cost memory.
"""

from __future__ import annotations

import os

STILL_THREADS = max(1, min(os.cpu_count() or 1, 4))
