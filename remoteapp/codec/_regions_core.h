/* The region tracker's few-tile books, the core (static: included by _regions.c, and
 * by _zsmall.c in the _zstream extension for a typed key's update in one call; see
 * _regions.c for the rule).
 * Needs Python.h, stdint.h and stdlib.h first. */
#ifndef REMOTEAPP_REGIONS_CORE_H
#define REMOTEAPP_REGIONS_CORE_H

#define MAX_FEW 64

/* Python's floor division (the rectangles' coordinates may be negative or huge). */
static long long floor_div(long long a, long long b) {
    long long q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int by_row_then_column(const void *a, const void *b) {
    const long long *p = a, *q = b;
    if (p[0] != q[0])
        return p[0] < q[0] ? -1 : 1;
    return p[1] < q[1] ? -1 : (p[1] > q[1]);
}

/* Add the tiles rectangle ``r`` (x, y, w, h) touches to the ``*count`` in ``tiles``
 * (deduplicated): 0, or -1: not few, or left to Python (a coordinate beyond 32 bits, a
 * rectangle off the grid's top-left).  Sort them (few_tiles_sort) after the last. */
static int few_tiles_add(const long long r[4], long long rows, long long cols, long long tile,
                         long long few_max, long long (*tiles)[2], int *count) {
    for (int k = 0; k < 4; k++)
        if (r[k] > INT32_MAX || r[k] < INT32_MIN)
            return -1;
    long long x = r[0], y = r[1], w = r[2], h = r[3];
    if (x < 0 || y < 0)
        return -1;
    long long ty0 = floor_div(y, tile), tx0 = floor_div(x, tile);
    long long ty1 = -floor_div(-(y + h), tile), tx1 = -floor_div(-(x + w), tile);
    if (ty1 > rows)
        ty1 = rows;
    if (tx1 > cols)
        tx1 = cols;
    if ((ty1 - ty0) * (tx1 - tx0) > few_max)
        return -1;
    for (long long ty = ty0; ty < ty1; ty++)
        for (long long tx = tx0; tx < tx1; tx++) {
            int seen = 0;
            for (int k = 0; k < *count && !seen; k++)
                seen = tiles[k][0] == ty && tiles[k][1] == tx;
            if (seen)
                continue;
            if (*count >= few_max || *count >= MAX_FEW)
                return -1;
            tiles[*count][0] = ty;
            tiles[*count][1] = tx;
            ++*count;
        }
    return *count > few_max ? -1 : 0; /* (as regions._few_tiles checks after each one) */
}

/* The few tiles in row-major order, as regions._few_tiles returns them. */
static void few_tiles_sort(long long (*tiles)[2], int count) {
    qsort(tiles, (size_t)count, sizeof tiles[0], by_row_then_column);
}

/* The books for ``n`` few tiles: the whole grid decays, each tile gains 1; the indexes
 * (into ``tiles``) of those due for a photo measurement into ``due``, their count.
 * float32 arithmetic as numpy's. */
static int count_tiles(float *f, const int64_t *t, long long rows, long long cols,
                       const long long (*tiles)[2], int n, long long frame, double decay,
                       double test_from, long long retest_every, int *due) {
    const float factor = (float)decay, one = 1.0f;
    const Py_ssize_t size = (Py_ssize_t)(rows * cols);
    for (Py_ssize_t i = 0; i < size; i++)
        f[i] = f[i] * factor;
    int ndue = 0;
    for (int k = 0; k < n; k++) {
        Py_ssize_t i = (Py_ssize_t)(tiles[k][0] * cols + tiles[k][1]);
        f[i] = f[i] + one;
        if (f[i] >= (float)test_from && frame - t[i] >= retest_every) /* (as numpy 2) */
            due[ndue++] = k;
    }
    return ndue;
}

/* The due tiles (indexes into ``tiles``) as count_few returns them: [(ty, tx), ...];
 * NULL with an error set. */
static PyObject *due_tiles(const long long (*tiles)[2], const int *due, int ndue) {
    PyObject *out = PyList_New(ndue);
    for (int j = 0; out != NULL && j < ndue; j++) {
        PyObject *pair = Py_BuildValue("(LL)", tiles[due[j]][0], tiles[due[j]][1]);
        if (pair == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, j, pair);
    }
    return out;
}

#endif
