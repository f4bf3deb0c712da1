/* What the ``_zstream`` extension's C files share (internal: not a Python API).
 *
 * _zstream.c holds the stream and the raw update's packing (pack_boxes), _zraw.c
 * pack_raw's checks of its Python arguments, _zsmall.c a typed key's update in one call,
 * which packs through the same code.
 */
#ifndef REMOTEAPP_ZSTREAM_H
#define REMOTEAPP_ZSTREAM_H

#include <Python.h>

#include <stdint.h>
#include <zstd.h>

#define ZS_HIDDEN __attribute__((visibility("hidden")))
#define MAX_DIMENSION 16384 /* update_format.MAX_DIMENSION */
#define MAX_OPS 65535
#define CURSOR_BIAS 32768

typedef struct {
    PyObject_HEAD
    ZSTD_CCtx *cctx;
    int level, window_log;
    int broken; /* libzstd failed part-way: refused until reset() */
    PyThread_type_lock lock;
} Stream;

/* A rectangle of the frame, in pixels. */
typedef struct {
    long long x, y, w, h;
} box;

/* 1 if the stream can take a block; else 0 with an error set (not set up, or broken). */
ZS_HIDDEN int ready(Stream *self);
/* Mark the stream broken (under its lock): a block went in that will never be sent. */
ZS_HIDDEN void spoil(Stream *self);
/* The O& converter of a 32-bit unsigned int (range-checked, not masked). */
ZS_HIDDEN int to_u32(PyObject *obj, void *out);
/* A cursor (None or an (x, y) pair) as update_format stores it: 0, or -1 and an error. */
ZS_HIDDEN int parse_cursor(PyObject *cursor, int *has, unsigned *cx, unsigned *cy);
/* The update of raw-bgra PIXELS ops for ``boxes`` (checked: inside the width x height
 * frame, not empty) and the cursor, its body their pixels as the stream's next block:
 * (update, body_len, raw_len), or NULL with an error set. */
ZS_HIDDEN PyObject *pack_boxes(Stream *self, const unsigned char *frame, long long width,
                               long long height, const box *boxes, Py_ssize_t n,
                               int has_cursor, unsigned cx, unsigned cy, uint32_t flags,
                               uint32_t seq);
ZS_HIDDEN PyObject *zstream_pack_raw(Stream *self, PyObject *args);     /* _zraw.c */
ZS_HIDDEN PyObject *zstream_encode_small(Stream *self, PyObject *args); /* _zsmall.c */

#endif
