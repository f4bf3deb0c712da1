/* A few damage rectangles as tile boxes, in C: part of the ``_xwire`` extension (its
 * method table is in _xwire.c; built together by setup.py).
 *
 * Why: damage.coalesce turns a typed key's one or two damage rectangles into the 64-px
 * tile boxes the grab reads.  Its Python for a handful of rectangles cost about 10 us
 * warm and 40 us live a key (the interpreter runs it cold, once every keystroke); this
 * is the same rule, damage._coalesce_few and damage._limit, in one call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "_xwire.h"

#define MAX_RECTS XW_MAX_FEW
#define LIMIT (1LL << 40)      /* larger coordinates: the Python path (never from X) */
#define MAX_FRAME (1LL << 20)  /* larger frames too: every area stays exact in a double */

typedef struct {
    long long x0, y0, x1, y1;
} tbox; /* in tiles */

static long long ceil_div(long long a, long long b) { return (a + b - 1) / b; } /* a >= 0 */

/* One coordinate, an int (``__index__``): 1; 0 and no error if it is out of LIMIT or
 * no int at all (a float: the Python rule then does what it does with it); -1 with an
 * error set otherwise. */
static int coordinate(PyObject *item, long long *out) {
    PyObject *index = PyNumber_Index(item);
    if (index == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow || v > LIMIT || v < -LIMIT)
        return 0;
    *out = v;
    return 1;
}

/* The rectangles as (x, y, w, h) numbers into ``v``: their count, -1 with an error set,
 * -2 for a coordinate out of LIMIT or not an int.  Copied into tuples first: an item's
 * ``__index__`` or ``__iter__`` may change the caller's lists meanwhile. */
static Py_ssize_t parse_rects(PyObject *rects, long long (*v)[4]) {
    PyObject *seq = PySequence_Tuple(rects);
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    if (n > MAX_RECTS) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "coalesce_few: too many rectangles");
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *rect = PySequence_Tuple(PyTuple_GET_ITEM(seq, i));
        if (rect == NULL || PyTuple_GET_SIZE(rect) != 4) {
            if (rect != NULL)
                PyErr_SetString(PyExc_ValueError, "coalesce_few: a rectangle is (x, y, w, h)");
            Py_XDECREF(rect);
            Py_DECREF(seq);
            return -1;
        }
        for (int k = 0; k < 4; k++) {
            int ok = coordinate(PyTuple_GET_ITEM(rect, k), &v[i][k]);
            if (ok <= 0) {
                Py_DECREF(rect);
                Py_DECREF(seq);
                return ok < 0 ? -1 : -2;
            }
        }
        Py_DECREF(rect);
    }
    Py_DECREF(seq);
    return n;
}

/* The rectangles' tile boxes, clipped, the empty ones dropped: their count. */
static Py_ssize_t tile_boxes(const long long (*v)[4], Py_ssize_t n, long long width,
                             long long height, long long tile, tbox *boxes) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        long long x0 = v[i][0] > 0 ? v[i][0] : 0, y0 = v[i][1] > 0 ? v[i][1] : 0;
        long long x1 = v[i][0] + v[i][2] < width ? v[i][0] + v[i][2] : width;
        long long y1 = v[i][1] + v[i][3] < height ? v[i][1] + v[i][3] : height;
        if (x1 > x0 && y1 > y0)
            boxes[count++] = (tbox){x0 / tile, y0 / tile, ceil_div(x1, tile), ceil_div(y1, tile)};
    }
    return count;
}

/* Merge any two overlapping boxes into their bounds until none overlap, first pair
 * first (the order _coalesce_few merges in, so the result is the same list). */
static Py_ssize_t merge(tbox *b, Py_ssize_t n) {
    int merged = 1;
    while (merged) {
        merged = 0;
        for (Py_ssize_t i = 0; i < n && !merged; i++) {
            for (Py_ssize_t j = i + 1; j < n; j++) {
                if (b[i].x0 < b[j].x1 && b[j].x0 < b[i].x1 && b[i].y0 < b[j].y1 &&
                    b[j].y0 < b[i].y1) {
                    if (b[j].x0 < b[i].x0) b[i].x0 = b[j].x0;
                    if (b[j].y0 < b[i].y0) b[i].y0 = b[j].y0;
                    if (b[j].x1 > b[i].x1) b[i].x1 = b[j].x1;
                    if (b[j].y1 > b[i].y1) b[i].y1 = b[j].y1;
                    memmove(&b[j], &b[j + 1], (size_t)(n - j - 1) * sizeof(tbox));
                    n--;
                    merged = 1;
                    break;
                }
            }
        }
    }
    return n;
}

XW_HIDDEN Py_ssize_t coalesce_core(const long long (*rects)[4], Py_ssize_t n,
                                   long long width, long long height, long long tile,
                                   Py_ssize_t max_boxes, double dense, long long (*px)[4]) {
    tbox b[MAX_RECTS];
    if (width <= 0 || height <= 0)
        return 0;
    n = merge(b, tile_boxes(rects, n, width, height, tile, b));
    long long area = 0; /* the boxes in pixels (_to_pixels) */
    for (Py_ssize_t i = 0; i < n; i++) {
        long long x0 = b[i].x0 * tile, y0 = b[i].y0 * tile;
        long long x1 = b[i].x1 * tile < width ? b[i].x1 * tile : width;
        long long y1 = b[i].y1 * tile < height ? b[i].y1 * tile : height;
        px[i][0] = x0, px[i][1] = y0, px[i][2] = x1 - x0, px[i][3] = y1 - y0;
        area += px[i][2] * px[i][3];
    }
    if (n > 1) { /* _limit: their bounds, in whole tiles, when too many or dense */
        long long x0 = px[0][0], y0 = px[0][1], x1 = x0 + px[0][2], y1 = y0 + px[0][3];
        for (Py_ssize_t i = 1; i < n; i++) {
            if (px[i][0] < x0) x0 = px[i][0];
            if (px[i][1] < y0) y0 = px[i][1];
            if (px[i][0] + px[i][2] > x1) x1 = px[i][0] + px[i][2];
            if (px[i][1] + px[i][3] > y1) y1 = px[i][1] + px[i][3];
        }
        x0 = x0 / tile * tile, y0 = y0 / tile * tile;
        x1 = ceil_div(x1, tile) * tile < width ? ceil_div(x1, tile) * tile : width;
        y1 = ceil_div(y1, tile) * tile < height ? ceil_div(y1, tile) * tile : height;
        if (n > max_boxes || (double)area >= dense * (double)((x1 - x0) * (y1 - y0))) {
            px[0][0] = x0, px[0][1] = y0, px[0][2] = x1 - x0, px[0][3] = y1 - y0;
            n = 1;
        }
    }
    return n;
}

XW_HIDDEN void cut_core(const long long (*rects)[4], Py_ssize_t n, long long (*px)[4],
                        Py_ssize_t m, long long wide_from) {
    for (Py_ssize_t i = 0; i < m; i++) {
        long long bx0 = px[i][0], by0 = px[i][1], bx1 = bx0 + px[i][2], by1 = by0 + px[i][3];
        long long x0 = bx1, y0 = by1, x1 = bx0, y1 = by0; /* (empty until a rectangle) */
        for (Py_ssize_t j = 0; j < n; j++) {
            long long x = rects[j][0], y = rects[j][1], r = x + rects[j][2], b = y + rects[j][3];
            if (rects[j][2] <= 0 || rects[j][3] <= 0 || x >= bx1 || r <= bx0 || y >= by1 ||
                b <= by0)
                continue;
            if (x < x0) x0 = x;
            if (y < y0) y0 = y;
            if (r > x1) x1 = r;
            if (b > y1) y1 = b;
        }
        if (x1 <= x0) /* (none inside: coalescing made the box from one, so never) */
            continue;
        y0 = y0 > by0 ? y0 : by0, y1 = y1 < by1 ? y1 : by1;
        px[i][1] = y0, px[i][3] = y1 - y0;
        if (px[i][2] < wide_from) { /* whole rows are read of a wide box: its columns kept */
            x0 -= x0 & 1, x1 += x1 & 1; /* (whole pixel pairs: damage._cut) */
            x0 = x0 > bx0 ? x0 : bx0, x1 = x1 < bx1 ? x1 : bx1;
            px[i][0] = x0, px[i][2] = x1 - x0;
        }
    }
}

/* coalesce_few(rects, width, height, tile, max_boxes, dense_share) -> list of (x, y, w,
 * h) pixel boxes, or None where a coordinate is beyond 2**40 or no int, or the frame
 * beyond 2**20 (the caller's Python then). */
__attribute__((visibility("hidden"))) PyObject *xwire_coalesce_few(PyObject *self,
                                                                   PyObject *args) {
    PyObject *rects, *width_obj, *height_obj;
    long long width, height, tile;
    Py_ssize_t max_boxes;
    double dense;
    if (!PyArg_ParseTuple(args, "OOOLnd:coalesce_few", &rects, &width_obj, &height_obj, &tile,
                          &max_boxes, &dense))
        return NULL;
    if (tile <= 0 || tile > (1 << 16) || max_boxes < 1) {
        PyErr_SetString(PyExc_ValueError, "coalesce_few: bad tile or max_boxes");
        return NULL;
    }
    int ok = coordinate(width_obj, &width);
    if (ok > 0)
        ok = coordinate(height_obj, &height);
    if (ok < 0)
        return NULL;
    if (ok == 0 || width > MAX_FRAME || height > MAX_FRAME)
        Py_RETURN_NONE; /* the Python rule's (a size beyond 2**20, or not an int) */
    long long v[MAX_RECTS][4], px[MAX_RECTS][4];
    Py_ssize_t n = 0;
    if (width > 0 && height > 0) {
        n = parse_rects(rects, v);
        if (n == -1)
            return NULL;
        if (n == -2)
            Py_RETURN_NONE;
    }
    n = coalesce_core((const long long (*)[4])v, n, width, height, tile, max_boxes, dense, px);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = Py_BuildValue("(LLLL)", px[i][0], px[i][1], px[i][2], px[i][3]);
        if (t == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, t);
    }
    return out;
}
