/* The region tracker's books for a typed key, in C (an optional extension: without it,
 * regions.RegionTracker keeps them with numpy).
 *
 * Why: a key's update changes a tile or two, and keeping their counts took the
 * tracker a dozen numpy calls on scalars, about 50 us a key cold, most of the lossy
 * planner's cost on that path.
 *
 *     count_few(freq, tested, changed, frame, decay, test_from, retest_every, tile,
 *               few_max) -> [(ty, tx), ...] | None
 *
 * ``freq`` is the tracker's float32 grid (rows x cols, C-contiguous, written in place)
 * and ``tested`` its int64 grid of the update each tile was last measured in; ``changed``
 * the update's rectangles (objects with int ``x``, ``y``, ``w``, ``h``).  As
 * ``regions._few_tiles``: the tiles the rectangles touch, at most ``few_max`` of them,
 * in row-major order, or None (more, a rectangle off the grid's top-left, or a coordinate
 * beyond 32 bits: nothing is changed, and the caller keeps the books in Python).  Otherwise the whole grid decays
 * (``freq *= decay``), each of those tiles gains 1, and the result is the tiles due
 * for a photo measurement: ``freq >= test_from`` and measured ``retest_every`` or more
 * updates ago.  float32 arithmetic as numpy's, so the same books bit for bit.
 *
 *     photo_like(frame, x, y, w, h, equal_max, colours_min) -> bool
 *
 * ``regions.photo_like`` of the w x h block at (x, y) of ``frame`` (a C-contiguous
 * height x width x 4 uint8 array), with its two thresholds: the decision that
 * ``Stream.encode_small`` takes for a typed key's due tiles, exported to be tested.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_photo_core.h"
#include "_regions_core.h"

#define MAX_RECTS 4096

/* An int attribute: 0, -1 with an exception set, or 1 when it does not fit in 64 bits
 * (no exception: the caller leaves such a rectangle to Python, which has no limit). */
static int attr_ll(PyObject *obj, const char *name, long long *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (v == NULL)
        return -1;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(v, &overflow);
    Py_DECREF(v);
    if (*out == -1 && PyErr_Occurred())
        return -1;
    return overflow ? 1 : 0;
}

/* The few tiles of ``rects`` (a tuple: it holds its items while their attributes are
 * read) into ``tiles``: their count, -1: not few or left to Python, -2: an error
 * (exception set). */
static int few_tiles(PyObject *rects, long long rows, long long cols, long long tile,
                     long long few_max, long long (*tiles)[2]) {
    Py_ssize_t n = PyTuple_GET_SIZE(rects);
    const char *names[4] = {"x", "y", "w", "h"};
    int count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v[4];
        for (int k = 0; k < 4; k++) { /* (each checked as read, as before) */
            int got = attr_ll(PyTuple_GET_ITEM(rects, i), names[k], &v[k]);
            if (got < 0)
                return -2;
            if (got > 0 || v[k] > INT32_MAX || v[k] < INT32_MIN)
                return -1;
        }
        if (few_tiles_add(v, rows, cols, tile, few_max, tiles, &count) < 0)
            return -1;
    }
    few_tiles_sort(tiles, count);
    return count;
}

static int is_format(const Py_buffer *view, const char *a, const char *b) {
    return view->format != NULL && (strcmp(view->format, a) == 0 || strcmp(view->format, b) == 0);
}

static PyObject *count_few(PyObject *self, PyObject *args) {
    Py_buffer freq = {0}, tested = {0};
    PyObject *freq_obj, *tested_obj, *changed;
    long long frame, retest_every, tile, few_max;
    double decay, test_from;
    if (!PyArg_ParseTuple(args, "OOOLddLLL", &freq_obj, &tested_obj, &changed, &frame, &decay,
                          &test_from, &retest_every, &tile, &few_max))
        return NULL;
    const int flags = PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
    if (PyObject_GetBuffer(freq_obj, &freq, flags) < 0)
        return NULL;
    if (PyObject_GetBuffer(tested_obj, &tested, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&freq);
        return NULL;
    }
    PyObject *result = NULL, *seq = NULL;
    long long tiles[MAX_FEW][2];
    if (freq.ndim != 2 || tested.ndim != 2 || freq.itemsize != 4 || tested.itemsize != 8 ||
        !is_format(&freq, "f", "=f") || !is_format(&tested, "l", "q") ||
        freq.shape[0] != tested.shape[0] || freq.shape[1] != tested.shape[1] || tile <= 0) {
        PyErr_SetString(PyExc_ValueError, "freq and tested must be C-contiguous grids "
                                          "(float32, int64) of one shape");
        goto end;
    }
    seq = PySequence_Tuple(changed);
    if (seq == NULL)
        goto end;
    if (PyTuple_GET_SIZE(seq) > MAX_RECTS) {
        result = Py_NewRef(Py_None);
        goto end;
    }
    long long rows = freq.shape[0], cols = freq.shape[1];
    int n = few_tiles(seq, rows, cols, tile, few_max, tiles);
    if (n == -2)
        goto end;
    if (n < 0) {
        result = Py_NewRef(Py_None);
        goto end;
    }
    int due[MAX_FEW];
    int ndue = count_tiles(freq.buf, tested.buf, rows, cols, (const long long (*)[2])tiles, n,
                           frame, decay, test_from, retest_every, due);
    result = due_tiles((const long long (*)[2])tiles, due, ndue);
end:
    Py_XDECREF(seq);
    PyBuffer_Release(&freq);
    PyBuffer_Release(&tested);
    return result;
}

static PyObject *photo_like(PyObject *self, PyObject *args) {
    PyObject *frame_obj;
    Py_buffer frame;
    long long x, y, w, h, colours_min;
    double equal_max;
    if (!PyArg_ParseTuple(args, "OLLLLdL", &frame_obj, &x, &y, &w, &h, &equal_max,
                          &colours_min) ||
        PyObject_GetBuffer(frame_obj, &frame, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    PyObject *result = NULL;
    if (frame.ndim != 3 || frame.shape[2] != 4 || frame.itemsize != 1 ||
        (uintptr_t)frame.buf % 4) { /* (read as 32-bit pixels) */
        PyErr_SetString(PyExc_ValueError, "photo_like: frame is an aligned h x w x 4 array");
    } else if (x < 0 || y < 0 || w < 0 || h < 0 || x > frame.shape[1] || y > frame.shape[0] ||
               w > frame.shape[1] - x || h > frame.shape[0] - y) {
        PyErr_SetString(PyExc_ValueError, "photo_like: the block is off the frame");
    } else {
        result = PyBool_FromLong(photo_block(frame.buf, (size_t)frame.shape[1], x, y, w, h,
                                             equal_max, colours_min));
    }
    PyBuffer_Release(&frame);
    return result;
}

static PyMethodDef methods[] = {
    {"count_few", count_few, METH_VARARGS,
     "count_few(freq, tested, changed, frame, decay, test_from, retest_every, tile, "
     "few_max) -> [(ty, tx), ...] | None: a few-tile update's books (see regions)."},
    {"photo_like", photo_like, METH_VARARGS,
     "photo_like(frame, x, y, w, h, equal_max, colours_min) -> bool: regions.photo_like "
     "of a block of the frame (see the module)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_regions",
    "The region tracker's books for a few-tile update, in C (see regions).", -1, methods,
};

PyMODINIT_FUNC PyInit__regions(void) { return PyModule_Create(&module); }
