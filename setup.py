"""The optional C extensions (everything else is in setup.cfg).

On Linux the capture's X round trips (``remoteapp.capture._xwire``), the tile diff of
small boxes (``remoteapp.codec._tilediff``), the region tracker's books for them
(``remoteapp.codec._regions``), the session's zstd stream (``remoteapp.codec._zstream``,
on libzstd), the record layer's sealing (``remoteapp.secure._records``, on OpenSSL's
libcrypto) and the session's books of updates in flight (``remoteapp.net._inflight``: the
credits; ``remoteapp.codec._senttimes``: rate control's) are built in C when a compiler
and the headers are there; without them the install goes on and the same work is done in
Python (``docs/capture.md``, "The native path").
"""

import sys
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent

# (the Python C API passes parameters a function may not need and has optional fields)
FLAGS = [
    "-O2",
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-Werror=implicit-function-declaration",
    # the debug info names sources relative to the checkout: a build does not depend on
    # where the checkout is (./dev package is reproducible)
    f"-ffile-prefix-map={ROOT}=.",
]

extensions = []
if sys.platform.startswith("linux"):
    extensions = [
        Extension(
            "remoteapp.capture._xwire",
            [
                "remoteapp/capture/_xwire.c",
                "remoteapp/capture/_xread.c",
                "remoteapp/capture/_xwait.c",
                "remoteapp/capture/_xboxes.c",
                "remoteapp/capture/_xtake.c",
                "remoteapp/capture/_xkey.c",
            ],
            depends=["remoteapp/capture/_xwire.h", "remoteapp/_named_tuple.h"],
            extra_compile_args=[*FLAGS, "-D_GNU_SOURCE"],
            optional=True,
        ),
        Extension(
            "remoteapp.codec._tilediff",
            ["remoteapp/codec/_tilediff.c"],
            depends=["remoteapp/codec/_tilediff_core.h"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "remoteapp.codec._regions",
            ["remoteapp/codec/_regions.c"],
            depends=["remoteapp/codec/_regions_core.h", "remoteapp/codec/_photo_core.h"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "remoteapp.codec._zstream",
            ["remoteapp/codec/_zstream.c", "remoteapp/codec/_zraw.c", "remoteapp/codec/_zsmall.c"],
            depends=[
                "remoteapp/codec/_zstream.h",
                "remoteapp/codec/_tilediff_core.h",
                "remoteapp/codec/_regions_core.h",
                "remoteapp/codec/_photo_core.h",
                "remoteapp/_named_tuple.h",
            ],
            extra_compile_args=FLAGS,
            libraries=["zstd"],
            optional=True,
        ),
        Extension(
            "remoteapp.codec._senttimes",
            ["remoteapp/codec/_senttimes.c"],
            depends=["remoteapp/_seq_books.h"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "remoteapp.net._inflight",
            ["remoteapp/net/_inflight.c"],
            depends=["remoteapp/_seq_books.h"],
            extra_compile_args=FLAGS,
            optional=True,
        ),
        Extension(
            "remoteapp.secure._records",
            ["remoteapp/secure/_records.c", "remoteapp/secure/_records_crypto.c"],
            depends=["remoteapp/secure/_records.h"],
            extra_compile_args=FLAGS,
            libraries=["crypto"],
            optional=True,
        ),
    ]

setup(ext_modules=extensions)
