"""An opaque image as PNG bytes, written directly: a third of the time Pillow takes for a scatter, and smaller."""

from __future__ import annotations

import struct
import zlib

import numpy as np

# zlib level: on a scatter as fast as 1 and a little smaller; 6 makes it a sixth smaller and takes half as long again
COMPRESSION = 3
METRES_PER_INCH = 0.0254


def encode_png(rgba: np.ndarray, dpi: float) -> bytes:
    """``rgba`` (height x width x 4, uint8, every pixel opaque) as an 8-bit RGB PNG, its resolution ``dpi`` recorded.

    Rows are stored unfiltered (filter type 0): on a plot's large flat areas that compresses better than Pillow's
    per-row filters and skips their cost. The same pixels give the same bytes.
    """
    height, width, _ = rgba.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each row: its filter type byte (0), then R G B ...
    rows[:, 1:].reshape(height, width, 3)[:] = rgba[:, :, :3]
    pixels_per_metre = round(dpi / METRES_PER_INCH)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8 bits, truecolour, no interlace
            _chunk(b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1)),  # 1: the unit is the metre
            _chunk(b"IDAT", zlib.compress(rows.data, COMPRESSION)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, and the CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
