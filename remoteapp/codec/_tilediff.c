/* The tile diff of a few small boxes in C, with the GIL released (an optional
 * extension: without it, tiles.TileDiff does the same with numpy).
 *
 * Why: a typed key's damage box is a tile or two, where numpy's per-call overhead,
 * cold, is most of the cost (about 90 us a key for a diff that memcmp does in one).
 *
 *     changed_rects(cur, ref, width, height, boxes) -> [(x, y, w, h), ...]
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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define TILE 64
#define MAX_BOXES 4096
#define MAX_WIDTH 16384 /* update_format.MAX_DIMENSION (height too) */
#define MAX_TILES_ACROSS (MAX_WIDTH / TILE + 1)

typedef struct {
    int x0, y0, x1, y1; /* half-open */
} span;

typedef struct {
    span *items;
    size_t len, cap;
} spans;

static int push(spans *s, span v) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        span *items = PyMem_RawRealloc(s->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = v;
    return 0;
}

/* The tight box of what changed in one tile, or 0 if nothing did; its columns are
 * rounded out to whole units of ``unit`` pixels from the tile's left edge. */
static int tile_box(const uint32_t *cur, const uint32_t *ref, size_t stride, int x0,
                    int y0, int w, int h, int unit, span *out) {
    int top = -1, bottom = -1, left = w, right = 0;
    for (int r = 0; r < h; r++) {
        const uint32_t *a = cur + (size_t)(y0 + r) * stride + x0;
        const uint32_t *b = ref + (size_t)(y0 + r) * stride + x0;
        if (memcmp(a, b, (size_t)w * 4) == 0)
            continue;
        if (top < 0)
            top = r;
        bottom = r + 1;
        int i = 0;
        while (i < left && a[i] == b[i])
            i++;
        if (i < left)
            left = i;
        int j = w;
        while (j > right && a[j - 1] == b[j - 1])
            j--;
        if (j > right)
            right = j;
    }
    if (top < 0)
        return 0;
    out->x0 = x0 + left / unit * unit;
    out->x1 = x0 + (right + unit - 1) / unit * unit;
    out->y0 = y0 + top;
    out->y1 = y0 + bottom;
    return 1;
}

/* One box: its rectangles appended to ``done``. */
static int diff_box(const uint32_t *cur, const uint32_t *ref, size_t stride, int bx,
                    int by, int bw, int bh, spans *done) {
    int across = (bw + TILE - 1) / TILE;
    /* as TileDiff: a box of even width whose first pixels start 8-byte aligned in both
     * frames is compared as 64-bit pixel pairs, so its columns come in whole pairs */
    size_t first = (size_t)by * stride + (size_t)bx;
    int unit = bw % 2 == 0 && (uintptr_t)(cur + first) % 8 == 0 &&
                       (uintptr_t)(ref + first) % 8 == 0
                   ? 2
                   : 1;
    /* the spans open from the band above: tile run [t0, t1) -> its box */
    int open_t0[MAX_TILES_ACROSS], open_t1[MAX_TILES_ACROSS];
    span open_box[MAX_TILES_ACROSS];
    int open_n = 0;
    int new_t0[MAX_TILES_ACROSS], new_t1[MAX_TILES_ACROSS];
    span new_box[MAX_TILES_ACROSS];
    for (int y = by; y < by + bh; y += TILE) {
        int th = by + bh - y < TILE ? by + bh - y : TILE;
        int new_n = 0;
        int run_start = -1;
        span run = {0, 0, 0, 0};
        for (int t = 0; t <= across; t++) {
            span tb;
            int changed = 0;
            if (t < across) {
                int x = bx + t * TILE;
                int tw = bx + bw - x < TILE ? bx + bw - x : TILE;
                changed = tile_box(cur, ref, stride, x, y, tw, th, unit, &tb);
            }
            if (changed) {
                if (run_start < 0) {
                    run_start = t;
                    run = tb;
                } else {
                    if (tb.x0 < run.x0) run.x0 = tb.x0;
                    if (tb.y0 < run.y0) run.y0 = tb.y0;
                    if (tb.x1 > run.x1) run.x1 = tb.x1;
                    if (tb.y1 > run.y1) run.y1 = tb.y1;
                }
            } else if (run_start >= 0) {
                /* the run [run_start, t) ends: merge with the same run of the band above
                 * when that one reached this band's top and this one starts there */
                span box = run;
                for (int k = 0; k < open_n; k++) {
                    if (open_t0[k] == run_start && open_t1[k] == t) {
                        if (open_box[k].y1 == y && box.y0 == y) {
                            if (open_box[k].x0 < box.x0) box.x0 = open_box[k].x0;
                            if (open_box[k].x1 > box.x1) box.x1 = open_box[k].x1;
                            box.y0 = open_box[k].y0;
                        } else if (push(done, open_box[k]) < 0) {
                            return -1;
                        }
                        open_t0[k] = -1; /* taken */
                        break;
                    }
                }
                new_t0[new_n] = run_start;
                new_t1[new_n] = t;
                new_box[new_n] = box;
                new_n++;
                run_start = -1;
            }
        }
        for (int k = 0; k < open_n; k++)
            if (open_t0[k] >= 0 && push(done, open_box[k]) < 0)
                return -1;
        memcpy(open_t0, new_t0, sizeof(int) * (size_t)new_n);
        memcpy(open_t1, new_t1, sizeof(int) * (size_t)new_n);
        memcpy(open_box, new_box, sizeof(span) * (size_t)new_n);
        open_n = new_n;
    }
    for (int k = 0; k < open_n; k++)
        if (push(done, open_box[k]) < 0)
            return -1;
    return 0;
}

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

static PyMethodDef methods[] = {
    {"changed_rects", changed_rects, METH_VARARGS,
     "changed_rects(cur, ref, width, height, boxes) -> [(x, y, w, h), ...]: where the "
     "two frames differ inside the boxes, as tiles.TileDiff.rects() merges them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tilediff",
    "The tile diff of a few small boxes in C (see tiles).", -1, methods,
};

PyMODINIT_FUNC PyInit__tilediff(void) { return PyModule_Create(&module); }
