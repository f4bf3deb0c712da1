/* ``Stream.pack_raw`` of the ``_zstream`` extension (its type and method table are in
 * _zstream.c; built together by setup.py): a lossless update of raw rectangles from
 * Python objects, their int attributes, the cursor, the flags and seq checked here
 * before _zstream.c's pack_boxes gathers, compresses and packs; and the argument
 * converters _zsmall.c shares (to_u32, parse_cursor).
 *
 * Why a file of its own: this is where Python's values are checked; the stream and the
 * update's layout (_zstream.c) take only C values that passed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include "_zstream.h"

/* An int (or ``__index__``) attribute of a rectangle: 0, or -1 with an exception set. */
static int attr_ll(PyObject *obj, const char *name, long long *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (v == NULL)
        return -1;
    PyObject *i = PyNumber_Index(v);
    Py_DECREF(v);
    if (i == NULL) {
        PyErr_Format(PyExc_ValueError, "a rectangle's %s is not an int", name);
        return -1;
    }
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (overflow) {
        PyErr_Format(PyExc_ValueError, "a rectangle's %s is off the frame", name);
        return -1;
    }
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* A cursor coordinate (an int or ``__index__``) as update_format stores it: clamped to
 * 16 bits, biased. */
static int cursor_coord(PyObject *v, unsigned *out) {
    PyObject *i = PyNumber_Index(v);
    if (i == NULL) {
        PyErr_SetString(PyExc_TypeError, "a cursor is an (x, y) pair of ints");
        return -1;
    }
    int overflow = 0;
    long long c = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (c == -1 && !overflow && PyErr_Occurred())
        return -1;
    if (overflow)
        c = overflow > 0 ? CURSOR_BIAS - 1 : -CURSOR_BIAS;
    c = c < -CURSOR_BIAS ? -CURSOR_BIAS : c > CURSOR_BIAS - 1 ? CURSOR_BIAS - 1 : c;
    *out = (unsigned)(c + CURSOR_BIAS);
    return 0;
}

/* An "O&" converter: an int in [0, 2^32), never wrapped. */
ZS_HIDDEN int to_u32(PyObject *obj, void *out) {
    PyObject *i = PyNumber_Index(obj);
    if (i == NULL)
        return 0;
    unsigned long long v = PyLong_AsUnsignedLongLong(i);
    Py_DECREF(i);
    if ((v == (unsigned long long)-1 && PyErr_Occurred()) || v > 0xFFFFFFFFULL) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "flags and seq are unsigned 32-bit ints");
        return 0;
    }
    *(uint32_t *)out = (uint32_t)v;
    return 1;
}

/* A cursor: None, or an (x, y) pair of ints (clamped as update_format stores it). */
ZS_HIDDEN int parse_cursor(PyObject *cursor, int *has, unsigned *cx, unsigned *cy) {
    *has = cursor != Py_None;
    if (!*has)
        return 0;
    PyObject *pair = PySequence_Fast(cursor, "a cursor is an (x, y) pair of ints");
    if (pair == NULL)
        return -1;
    int bad = PySequence_Fast_GET_SIZE(pair) != 2;
    if (bad)
        PyErr_SetString(PyExc_TypeError, "a cursor is an (x, y) pair of ints");
    else
        bad = cursor_coord(PySequence_Fast_GET_ITEM(pair, 0), cx) < 0 ||
              cursor_coord(PySequence_Fast_GET_ITEM(pair, 1), cy) < 0;
    Py_DECREF(pair);
    return bad ? -1 : 0;
}

ZS_HIDDEN PyObject *zstream_pack_raw(Stream *self, PyObject *args) {
    Py_buffer frame;
    long long width, height;
    PyObject *rects_obj, *cursor;
    uint32_t flags, seq;
    if (!ready(self) ||
        !PyArg_ParseTuple(args, "y*LLOOO&O&:pack_raw", &frame, &width, &height, &rects_obj,
                          &cursor, to_u32, &flags, to_u32, &seq))
        return NULL;
    PyObject *rects = NULL, *result = NULL;
    box *boxes = NULL;
    unsigned cx = 0, cy = 0;
    int has_cursor = 0;
    if (width < 1 || width > MAX_DIMENSION || height < 1 || height > MAX_DIMENSION ||
        frame.len != width * height * 4) {
        PyErr_SetString(PyExc_ValueError, "pack_raw: the frame is not width x height BGRA");
        goto end;
    }
    if (flags > 1) {
        PyErr_SetString(PyExc_ValueError, "pack_raw: flags are 0 or 1 (KEY)");
        goto end;
    }
    if (parse_cursor(cursor, &has_cursor, &cx, &cy) < 0)
        goto end;
    rects = PySequence_Tuple(rects_obj); /* (attribute reads may run code) */
    if (rects == NULL)
        goto end;
    Py_ssize_t n = PyTuple_GET_SIZE(rects), ops = n + has_cursor;
    if (ops > MAX_OPS) {
        PyErr_Format(PyExc_ValueError, "pack_raw: %zd ops exceed the limit", ops);
        goto end;
    }
    boxes = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(box));
    if (boxes == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyTuple_GET_ITEM(rects, i);
        box *b = &boxes[i];
        if (attr_ll(r, "x", &b->x) < 0 || attr_ll(r, "y", &b->y) < 0 ||
            attr_ll(r, "w", &b->w) < 0 || attr_ll(r, "h", &b->h) < 0)
            goto end;
        if (b->x < 0 || b->y < 0 || b->w < 1 || b->h < 1 || b->x > width - b->w ||
            b->y > height - b->h) {
            PyErr_Format(PyExc_ValueError, "pack_raw: rectangle %zd is empty or off the frame",
                         i);
            goto end;
        }
    }
    result = pack_boxes(self, frame.buf, width, height, boxes, n, has_cursor, cx, cy, flags, seq);
end:
    PyMem_Free(boxes);
    Py_XDECREF(rects);
    PyBuffer_Release(&frame);
    return result;
}
