/* The tile diff of a few small boxes in C, with the GIL released (an optional
 * extension: without it, tiles.TileDiff does the same with numpy).
 *
 * Why: a typed key's damage box is a tile or two, where numpy's per-call overhead,
 * cold, is most of the cost (about 90 us a key for a diff that memcmp does in one).
 *
 *     changed_rects(cur, ref, width, height, boxes) -> [(x, y, w, h), ...]
 *     rows_equal(a, b) -> bytearray | None
 *
 * ``cur`` and ``ref`` are two width x height BGRA frames (C-contiguous bytes, 4-byte
 * aligned as numpy's and mmap's buffers are: they are read as 32-bit pixels); each box
 * (x, y, w, h) is searched on a 64x64 tile grid anchored at its corner.  As
 * ``TileDiff.rects``: per band of 64 rows, changed tiles in a row of tiles merge into
 * spans, each span is tightened to the pixels that changed (to pixel pairs where
 * TileDiff compares pairs), and spans over the same tile columns in consecutive bands
 * merge into one rectangle, in TileDiff's order: the same rectangles, so the same
 * update bytes.  They cover every changed pixel of the boxes and nothing outside them,
 * and do not overlap.
 *
 * ``rows_equal`` is compare.rows_equal for two 2-D blocks of 32-bit pixels of one shape
 * whose rows are contiguous (a damaged box, a scrolled text area): one memcmp a row,
 * 1 where the row is equal all along, no result array in between.  The motion search
 * verifies a scroll's whole text area every frame: 0.49 against numpy's 0.77 ms for a
 * cold 1880x1014 block (docs/capture.md, "The scroll's verification by memcmp").  Any
 * other layout (strided columns, another item size, negative strides) is None: numpy's.
 * Bytes are compared: the caller passes two blocks of one integer type.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "_tilediff_core.h"

static PyObject *changed_rects(PyObject *self, PyObject *args) {
    Py_buffer cur, ref;
    int width, height;
    PyObject *seq_obj;
    if (!PyArg_ParseTuple(args, "y*y*iiO", &cur, &ref, &width, &height, &seq_obj))
        return NULL;
    PyObject *result = NULL;
    int(*boxes)[4] = NULL;
    spans done = {NULL, 0, 0};
    /* a tuple, not the caller's list: an item's __iter__ (PySequence_Tuple below) may run
     * Python code that would otherwise change a list under the index */
    PyObject *seq = PySequence_Tuple(seq_obj);
    if (seq == NULL)
        goto end;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    if (width <= 0 || height <= 0 || width > MAX_WIDTH || height > MAX_WIDTH ||
        cur.len != (Py_ssize_t)width * height * 4 || ref.len != cur.len) {
        PyErr_SetString(PyExc_ValueError, "the frames are not width x height BGRA");
        goto end;
    }
    if ((uintptr_t)cur.buf % 4 || (uintptr_t)ref.buf % 4) {
        PyErr_SetString(PyExc_ValueError, "the frames are not 4-byte aligned");
        goto end;
    }
    if (n > MAX_BOXES) {
        PyErr_SetString(PyExc_ValueError, "too many boxes");
        goto end;
    }
    boxes = PyMem_Calloc(n ? (size_t)n : 1, sizeof *boxes);
    if (boxes == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int *b = boxes[i];
        PyObject *t = PySequence_Tuple(PyTuple_GET_ITEM(seq, i));
        int ok = t != NULL && PyArg_ParseTuple(t, "iiii;a box is (x, y, w, h)", &b[0], &b[1],
                                               &b[2], &b[3]);
        Py_XDECREF(t);
        if (!ok)
            goto end;
        if (b[0] < 0 || b[1] < 0 || b[2] < 0 || b[3] < 0 || b[2] > width - b[0] ||
            b[3] > height - b[1]) {
            PyErr_SetString(PyExc_ValueError, "a box is outside the frame");
            goto end;
        }
    }
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n && !bad; i++)
        if (boxes[i][2] && boxes[i][3])
            bad = diff_box((const uint32_t *)cur.buf, (const uint32_t *)ref.buf,
                           (size_t)width, boxes[i][0], boxes[i][1], boxes[i][2],
                           boxes[i][3], &done) < 0;
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_NoMemory();
        goto end;
    }
    result = PyList_New((Py_ssize_t)done.len);
    if (result == NULL)
        goto end;
    for (size_t i = 0; i < done.len; i++) {
        span s = done.items[i];
        PyObject *t = Py_BuildValue("(iiii)", s.x0, s.y0, s.x1 - s.x0, s.y1 - s.y0);
        if (t == NULL) {
            Py_CLEAR(result);
            goto end;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)i, t);
    }
end:
    PyMem_RawFree(done.items);
    PyMem_Free(boxes);
    Py_XDECREF(seq);
    PyBuffer_Release(&cur);
    PyBuffer_Release(&ref);
    return result;
}

static int rows_block(const Py_buffer *v) {
    return v->ndim == 2 && v->itemsize == 4 && v->strides[1] == 4 && v->strides[0] >= 0 &&
           v->suboffsets == NULL;
}

static PyObject *rows_equal(PyObject *self, PyObject *args) {
    PyObject *a_obj, *b_obj;
    if (!PyArg_ParseTuple(args, "OO:rows_equal", &a_obj, &b_obj))
        return NULL;
    Py_buffer a, b;
    if (PyObject_GetBuffer(a_obj, &a, PyBUF_STRIDES) < 0)
        return NULL;
    if (PyObject_GetBuffer(b_obj, &b, PyBUF_STRIDES) < 0) {
        PyBuffer_Release(&a);
        return NULL;
    }
    PyObject *out = NULL;
    if (!rows_block(&a) || !rows_block(&b) || a.shape[0] != b.shape[0] ||
        a.shape[1] != b.shape[1]) {
        out = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t rows = a.shape[0];
    size_t row_bytes = (size_t)a.shape[1] * 4;
    out = PyByteArray_FromStringAndSize(NULL, rows);
    if (out == NULL)
        goto done;
    unsigned char *ok = (unsigned char *)PyByteArray_AS_STRING(out);
    const unsigned char *pa = a.buf, *pb = b.buf;
    Py_ssize_t sa = a.strides[0], sb = b.strides[0];
    Py_BEGIN_ALLOW_THREADS /* (the buffers are held: neither can be freed or resized) */
    for (Py_ssize_t r = 0; r < rows; r++)
        ok[r] = memcmp(pa + r * sa, pb + r * sb, row_bytes) == 0;
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return out;
}

static PyMethodDef methods[] = {
    {"changed_rects", changed_rects, METH_VARARGS,
     "changed_rects(cur, ref, width, height, boxes) -> [(x, y, w, h), ...]: where the "
     "two frames differ inside the boxes, as tiles.TileDiff.rects() merges them."},
    {"rows_equal", rows_equal, METH_VARARGS,
     "rows_equal(a, b) -> bytearray | None: per row of two 2-D blocks of 32-bit pixels of "
     "one shape with contiguous rows, 1 where it is equal all along (memcmp); None for "
     "any other layout."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tilediff",
    "The tile diff of a few small boxes in C (see tiles).", -1, methods,
};

PyMODINIT_FUNC PyInit__tilediff(void) { return PyModule_Create(&module); }
