"""The one array type the screen pipeline passes around: capture, codec, session, viewer.

A frame is ``(height, width, 4)`` BGRA, rows top to bottom; a block of a frame (a rectangle
a codec encodes, a framebuffer view it decodes into) has the same type.  Defined once here
so every module means the same thing by it (the byte count per pixel is
``update_format.BYTES_PER_PIXEL``).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

#: (height, width, 4) BGRA pixels, or a block of such a frame.
Pixels: TypeAlias = npt.NDArray[np.uint8]
