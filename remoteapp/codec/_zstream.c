/* The session's zstd stream in C, and a lossless update packed in one call (an optional
 * extension: without it, zstd_stream.StreamCompressor and the encoder's Python do both).
 *
 * Why: a typed key's update is a few small rectangles, and gathering their pixels,
 * compressing them as the next block and packing the header and op table went through
 * some twenty Python calls, about 80 us a key cold; and the native lane
 * (docs/capture.md) needs the stream to have one owner that C code can reach.  This
 * wraps libzstd (the same streaming API as ``backports.zstd``, which gives the same
 * bytes); nothing of the format is invented here: update_format.py is the reference.
 *
 *     Stream(level, window_log)
 *       .reset()                          a new stream (a key frame)
 *       .compress(chunks) -> bytes        the chunks as the next flushed block
 *       .pack_raw(frame, width, height, rects, cursor, flags, seq)   (_zraw.c)
 *           -> (update, body_len, raw_len)
 *           an update of raw-bgra PIXELS ops, one per rectangle (objects with int x, y,
 *           w, h inside the width x height BGRA frame), then a CURSOR op if ``cursor``
 *           is an (x, y) pair; its body the rectangles' pixels as the next block.
 *
 * Each object has a lock: two threads never feed one stream at once.  Compressing more
 * than RELEASE_AT bytes runs with the GIL released.  If a call fails once its block is
 * in the stream (libzstd part-way, or memory for the result after it), the stream is no
 * longer the viewer's: every later call raises until ``reset()``.
 *
 * One feeder: blocks must reach the viewer in the order they were fed, which only the
 * feeder (the encoder, on the capture thread) can keep, so a stream has one.  The lock
 * keeps the context whole; it does not order feeders.  That is also why a failure after
 * the lock is let go (the result's memory) may mark the stream broken a moment later:
 * no other thread feeds in between (the native lane, when it comes, feeds as the
 * encoder, on its thread).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>
#include <zstd.h>

#include "_zstream.h"

#define RELEASE_AT (64 << 10)
#define HEADER 28 /* update_format.HEADER */
#define OP 14
#define PIXELS_KIND 2
#define CURSOR_KIND 3

static void lock(Stream *self) {
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static void unlock(Stream *self) { PyThread_release_lock(self->lock); }

/* Take the lock of a stream that is still the viewer's: 1, or 0 (not taken) with an
 * error set (``ready`` looked before the call waited for the lock). */
static int lock_usable(Stream *self) {
    lock(self);
    if (!self->broken)
        return 1;
    unlock(self);
    PyErr_SetString(PyExc_RuntimeError,
                    "the stream broke while this call waited for it: reset() it (a key frame)");
    return 0;
}

ZS_HIDDEN void spoil(Stream *self) {
    lock(self);
    self->broken = 1;
    unlock(self);
}

/* A fresh context with the stream's parameters: 0, or -1 with an exception set. */
static int new_context(Stream *self) {
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (cctx == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, self->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, self->window_log))) {
        ZSTD_freeCCtx(cctx);
        PyErr_SetString(PyExc_ValueError, "libzstd refused the level or window_log");
        return -1;
    }
    ZSTD_freeCCtx(self->cctx);
    self->cctx = cctx;
    return 0;
}

static int Stream_init(Stream *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"level", "window_log", NULL};
    if (self->lock != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Stream is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ii", names, &self->level, &self->window_log))
        return -1;
    if (new_context(self) != 0)
        return -1;
    if ((self->lock = PyThread_allocate_lock()) == NULL) { /* last: it marks the end */
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void Stream_dealloc(Stream *self) {
    ZSTD_freeCCtx(self->cctx);
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

ZS_HIDDEN int ready(Stream *self) {
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Stream.__init__ was not called");
        return 0;
    }
    if (self->broken) {
        PyErr_SetString(PyExc_RuntimeError, "the stream broke earlier: reset() it (a key frame)");
        return 0;
    }
    return 1;
}

static PyObject *Stream_reset(Stream *self, PyObject *unused) {
    if (self->lock == NULL) { /* (a broken stream may be reset: that is the way out) */
        PyErr_SetString(PyExc_RuntimeError, "Stream.__init__ was not called");
        return NULL;
    }
    lock(self);
    int failed = new_context(self);
    if (!failed)
        self->broken = 0;
    unlock(self);
    return failed ? NULL : Py_NewRef(Py_None);
}

/* Feed ``in`` (e_continue), or flush (``flush``): the output goes to ``*out`` from
 * ``*pos``, grown with PyMem_Realloc as needed.  0, or -1 (``*why`` says; no exception:
 * the GIL may be released). */
static int feed(ZSTD_CCtx *cctx, const void *in, size_t len, int flush, unsigned char **out,
                size_t *cap, size_t *pos, const char **why) {
    ZSTD_inBuffer input = {in, len, 0};
    for (;;) {
        if (*cap - *pos < ZSTD_CStreamOutSize() / 4) {
            size_t grown = *cap * 2 + ZSTD_CStreamOutSize();
            unsigned char *bigger = PyMem_RawRealloc(*out, grown);
            if (bigger == NULL) {
                *why = "out of memory";
                return -1;
            }
            *out = bigger;
            *cap = grown;
        }
        ZSTD_outBuffer output = {*out, *cap, *pos};
        size_t left = ZSTD_compressStream2(cctx, &output, &input,
                                           flush ? ZSTD_e_flush : ZSTD_e_continue);
        *pos = output.pos;
        if (ZSTD_isError(left)) {
            *why = ZSTD_getErrorName(left);
            return -1;
        }
        if (flush ? left == 0 : input.pos == input.size)
            return 0;
    }
}

/* The chunks as the next flushed block (feed's contract). */
static int feed_all(ZSTD_CCtx *cctx, Py_buffer *views, Py_ssize_t n, unsigned char **out,
                    size_t *cap, size_t *pos, const char **why) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (feed(cctx, views[i].buf, (size_t)views[i].len, 0, out, cap, pos, why) != 0)
            return -1;
    return feed(cctx, NULL, 0, 1, out, cap, pos, why);
}

static PyObject *Stream_compress(Stream *self, PyObject *chunks_obj) {
    if (!ready(self))
        return NULL;
    PyObject *chunks = PySequence_Tuple(chunks_obj); /* (a list changing under us) */
    if (chunks == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(chunks), total = 0;
    Py_buffer *views = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof(Py_buffer));
    PyObject *result = NULL;
    Py_ssize_t got = 0;
    size_t cap = 0, pos = 0;
    unsigned char *out = NULL;
    const char *why = NULL;
    if (views == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    for (; got < n; got++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(chunks, got), &views[got], PyBUF_SIMPLE) < 0)
            goto end;
        total += views[got].len;
    }
    cap = ZSTD_compressBound((size_t)total) + ZSTD_CStreamOutSize();
    out = PyMem_RawMalloc(cap);
    if (out == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    int failed;
    if (!lock_usable(self))
        goto end;
    if (total > RELEASE_AT) {
        Py_BEGIN_ALLOW_THREADS failed = feed_all(self->cctx, views, n, &out, &cap, &pos, &why);
        Py_END_ALLOW_THREADS
    } else {
        failed = feed_all(self->cctx, views, n, &out, &cap, &pos, &why);
    }
    if (failed)
        self->broken = 1;
    unlock(self);
    if (failed)
        PyErr_Format(PyExc_RuntimeError, "libzstd failed: %s", why);
    else if ((result = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)pos)) == NULL)
        spoil(self); /* (the block is in the stream, and will never be sent) */
end:
    for (Py_ssize_t i = 0; i < got; i++)
        PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_RawFree(out);
    Py_DECREF(chunks);
    return result;
}

static void put16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Gather the boxes' pixels (rows of ``frame``, ``width`` pixels wide) into ``raw``,
 * then compress them as the next block. */
static int gather_and_feed(ZSTD_CCtx *cctx, const unsigned char *frame, long long width,
                           const box *boxes, Py_ssize_t n, unsigned char *raw, size_t raw_len,
                           unsigned char **out, size_t *cap, size_t *pos, const char **why) {
    unsigned char *to = raw;
    for (Py_ssize_t i = 0; i < n; i++) {
        size_t row = (size_t)boxes[i].w * 4;
        for (long long y = boxes[i].y; y < boxes[i].y + boxes[i].h; y++) {
            memcpy(to, frame + ((size_t)y * (size_t)width + (size_t)boxes[i].x) * 4, row);
            to += row;
        }
    }
    return feed(cctx, raw, raw_len, 1, out, cap, pos, why);
}

ZS_HIDDEN PyObject *pack_boxes(Stream *self, const unsigned char *frame, long long width,
                               long long height, const box *boxes, Py_ssize_t n,
                               int has_cursor, unsigned cx, unsigned cy, uint32_t flags,
                               uint32_t seq) {
    PyObject *result = NULL;
    unsigned char *raw = NULL, *out = NULL;
    size_t cap = 0, pos = 0;
    const char *why = NULL;
    Py_ssize_t ops = n + (has_cursor != 0);
    int fed = 0; /* the block went into the stream: any failure after it spoils the stream */
    unsigned long long raw_len = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        raw_len += (unsigned long long)(boxes[i].w * boxes[i].h * 4);
    if (raw_len > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "pack_raw: more pixels than an update holds");
        goto end;
    }
    cap = ZSTD_compressBound((size_t)raw_len) + ZSTD_CStreamOutSize();
    raw = PyMem_RawMalloc(raw_len > 0 ? (size_t)raw_len : 1);
    out = PyMem_RawMalloc(cap);
    if (raw == NULL || out == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    int failed;
    if (!lock_usable(self))
        goto end;
    if (raw_len > RELEASE_AT) {
        Py_BEGIN_ALLOW_THREADS failed =
            gather_and_feed(self->cctx, frame, width, boxes, n, raw, (size_t)raw_len, &out,
                            &cap, &pos, &why);
        Py_END_ALLOW_THREADS
    } else {
        failed = gather_and_feed(self->cctx, frame, width, boxes, n, raw, (size_t)raw_len, &out,
                                 &cap, &pos, &why);
    }
    if (failed)
        self->broken = 1;
    unlock(self);
    if (failed) {
        PyErr_Format(PyExc_RuntimeError, "libzstd failed: %s", why);
        goto end;
    }
    fed = 1;
    if (pos > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "pack_raw: the body exceeds 4 GiB");
        goto end;
    }
    PyObject *update = PyBytes_FromStringAndSize(NULL, HEADER + ops * OP + (Py_ssize_t)pos);
    if (update == NULL)
        goto end;
    unsigned char *u = (unsigned char *)PyBytes_AS_STRING(update);
    memcpy(u, "RAUP", 4);
    u[4] = 2; /* update_format.VERSION */
    u[5] = (unsigned char)flags;
    put16(u + 6, 0);
    put32(u + 8, seq);
    put16(u + 12, (unsigned)width);
    put16(u + 14, (unsigned)height);
    put32(u + 16, (uint32_t)ops);
    put32(u + 20, (uint32_t)pos);
    put32(u + 24, (uint32_t)raw_len);
    unsigned char *op = u + HEADER;
    for (Py_ssize_t i = 0; i < n; i++, op += OP) {
        op[0] = PIXELS_KIND;
        op[1] = 0; /* raw-bgra */
        put16(op + 2, (unsigned)boxes[i].x);
        put16(op + 4, (unsigned)boxes[i].y);
        put16(op + 6, (unsigned)boxes[i].w);
        put16(op + 8, (unsigned)boxes[i].h);
        put32(op + 10, (uint32_t)(boxes[i].w * boxes[i].h * 4));
    }
    if (has_cursor) {
        op[0] = CURSOR_KIND;
        op[1] = 1; /* visible */
        put16(op + 2, cx);
        put16(op + 4, cy);
        memset(op + 6, 0, 8);
        op += OP;
    }
    memcpy(op, out, pos);
    result = Py_BuildValue("(NnK)", update, (Py_ssize_t)pos, raw_len);
end:
    if (fed && result == NULL)
        spoil(self); /* (the block is in the stream, and will never be sent) */
    PyMem_RawFree(raw);
    PyMem_RawFree(out);
    return result;
}

static PyMethodDef Stream_methods[] = {
    {"reset", (PyCFunction)Stream_reset, METH_NOARGS, "reset(): a new stream (a key frame)."},
    {"compress", (PyCFunction)Stream_compress, METH_O,
     "compress(chunks) -> bytes: the chunks as the next flushed block of the stream."},
    {"pack_raw", (PyCFunction)zstream_pack_raw, METH_VARARGS,
     "pack_raw(frame, width, height, rects, cursor, flags, seq) -> (update, body_len, "
     "raw_len): a lossless update of the rectangles' pixels (and the cursor), its body the "
     "next flushed block."},
    {"encode_small", (PyCFunction)zstream_encode_small, METH_VARARGS,
     "encode_small(frame, ref, width, height, damage, cursor, seq, min_area, max_side, "
     "raw_max_area, rect_type, tracker) -> None | (update, rects, due, body_len, raw_len): "
     "a typed key's update in one call (see _zsmall.c)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StreamType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remoteapp.codec._zstream.Stream",
    .tp_basicsize = sizeof(Stream),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The session's zstd stream (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Stream_init,
    .tp_dealloc = (destructor)Stream_dealloc,
    .tp_methods = Stream_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_zstream",
    "The session's zstd stream and a lossless update packed in C (see zstd_stream).", -1,
    NULL,
};

PyMODINIT_FUNC PyInit__zstream(void) {
    if (PyType_Ready(&StreamType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Stream", (PyObject *)&StreamType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
