"""Environment switches read once, in one place.

``IACTPIPE_DISABLE_NUMBA_CACHE=1`` turns off numba's on-disk cache (useful when the
package directory is read-only or while debugging kernels).
"""
import os

__all__ = ["NUMBA_CACHE"]

NUMBA_CACHE = os.environ.get("IACTPIPE_DISABLE_NUMBA_CACHE", "0").lower() not in ("1", "true", "yes")
