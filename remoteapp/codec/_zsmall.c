/* A typed key's update in one C call, part of the ``_zstream`` extension (its method
 * table is in _zstream.c; built together by setup.py).
 *
 * Why: the encoder's small box went through three C calls (the tile diff, the region
 * tracker's few-tile books, the raw update's packing) with some 60 Python lines around
 * them a key (docs/capture.md, "Next: the native lane", step 2).  This is the same work
 * in one entry, with the cores of _tilediff.c and _regions.c included as they are:
 *
 *     Stream.encode_small(frame, ref, width, height, damage, cursor, seq,
 *                         min_area, max_side, raw_max_area, rect_type, tracker)
 *       -> None          not a small box: the encoder's general path (no damage, its
 *                        bounds' area at least min_area unless they fit in max_side x
 *                        max_side, a box off the frame, frames not 4-byte aligned)
 *       -> (update, rects, due, body_len, raw_len)
 *
 * ``rects`` are what changed inside the damage boxes (rect_type: a named tuple), as
 * ``tiles.boxes_changed_rects`` has them.  ``tracker``: None, or the region tracker's
 * books (``RegionTracker.books``): (frame, freq, tested, decay, test_from,
 * retest_every, tile, few_max) as ``_regions.count_few`` takes them, then (photo,
 * equal_max, colours_min): the float32 grid of photo scores and photo_like's two
 * thresholds.  ``due`` is then what count_few returned (the books kept, the tiles due
 * for a photo measurement), or None when they were not few (the books untouched).
 *
 * ``update`` is the packed update (``pack_raw``'s, the stream's next block) when
 * nothing is left for the planner: the books kept, every rectangle's area below
 * raw_max_area, and no due tile photo-like, ``due`` then measured here as
 * ``RegionTracker._measure`` does (``photo`` halved in float32, ``tested`` the frame).
 * Else None, nothing packed, nothing measured, and the caller's planner goes on from
 * ``rects`` and ``due``: a tracker that hands out its books has no photo-like tile,
 * so a due tile that is one crosses to photo, which is the tracker's to follow (its
 * region may start); it measures the tiles itself, once.
 *
 * Frames not 4-byte aligned (read as 32-bit pixels here) are the general path's: None.
 * An error raised after the books were kept (the packing's: libzstd, memory) leaves them
 * a frame ahead of the tracker's count, and one raised after the block went into the
 * stream spoils the stream (``reset()`` only: a key frame); the encoder then asks for a
 * key frame itself (``ScreenEncoder.encode``), which starts the books over too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_named_tuple.h"
#include "_photo_core.h"
#include "_regions_core.h"
#include "_tilediff_core.h"
#include "_zstream.h"

static int is_format(const Py_buffer *view, const char *a, const char *b) {
    return view->format != NULL && (strcmp(view->format, a) == 0 || strcmp(view->format, b) == 0);
}

/* The damage boxes into *out (PyMem): their count; 0 and *small = 0 when the encoder's
 * general path takes them (as tiles.small_box_rects's None); -1 with an error set.
 * Small: bounds of an area under min_area, or that fit in max_side x max_side. */
static Py_ssize_t small_boxes(PyObject *damage_obj, int width, int height, long long min_area,
                              long long max_side, int (**out)[4], int *small) {
    *small = 0;
    PyObject *seq = PySequence_Tuple(damage_obj); /* (an item's __iter__ may run code) */
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    if (n == 0 || n > MAX_BOXES) {
        Py_DECREF(seq);
        return 0;
    }
    int(*boxes)[4] = PyMem_Calloc((size_t)n, sizeof *boxes);
    if (boxes == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    long long x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    int inside = 1;
    for (Py_ssize_t i = 0; i < n && inside; i++) {
        long long v[4];
        PyObject *t = PySequence_Tuple(PyTuple_GET_ITEM(seq, i));
        int ok = t != NULL && PyArg_ParseTuple(t, "LLLL;a box is (x, y, w, h)", &v[0], &v[1],
                                               &v[2], &v[3]);
        Py_XDECREF(t);
        if (!ok && PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear(); /* beyond 64 bits: off the frame (the general path clips it) */
            inside = 0;
            break;
        }
        if (!ok) {
            PyMem_Free(boxes);
            Py_DECREF(seq);
            return -1;
        }
        for (int k = 0; k < 4; k++)
            if (v[k] < 0 || v[k] > MAX_DIMENSION)
                inside = 0; /* (and no sum below can overflow) */
        if (!inside || v[0] + v[2] > width || v[1] + v[3] > height) {
            inside = 0;
            break;
        }
        int *b = boxes[i];
        b[0] = (int)v[0], b[1] = (int)v[1], b[2] = (int)v[2], b[3] = (int)v[3];
        if (i == 0 || v[0] < x0)
            x0 = v[0];
        if (i == 0 || v[1] < y0)
            y0 = v[1];
        if (i == 0 || v[0] + v[2] > x1)
            x1 = v[0] + v[2];
        if (i == 0 || v[1] + v[3] > y1)
            y1 = v[1] + v[3];
    }
    Py_DECREF(seq);
    long long bw = x1 - x0, bh = y1 - y0;
    if (!inside || (bw * bh >= min_area && (bw > max_side || bh > max_side))) {
        PyMem_Free(boxes);
        return 0;
    }
    *out = boxes;
    *small = 1;
    return n;
}

/* ``RegionTracker._measure`` for the ``ndue`` due tiles (``due`` indexes ``tiles``) of
 * ``cur`` where none is photo-like: their scores and ``tested`` written, 1; else 0 and
 * nothing written (the tracker measures them itself, once).  Its books hold no
 * photo-like tile (score under 0.5), so a photo-like one would cross to photo. */
static int measure_due(const uint32_t *cur, int width, int height, float *photo,
                       int64_t *tested, long long cols, long long tile,
                       const long long (*tiles)[2], const int *due, int ndue, long long frame,
                       double equal_max, long long colours_min) {
    for (int k = 0; k < ndue; k++) {
        long long y = tiles[due[k]][0] * tile, x = tiles[due[k]][1] * tile;
        long long h = y + tile < height ? tile : height - y; /* (an edge tile: cut) */
        long long w = x + tile < width ? tile : width - x;
        if (h >= 8 && w >= 8 &&
            photo_block(cur, (size_t)width, x, y, w, h, equal_max, colours_min))
            return 0;
    }
    const float half = 0.5f, zero = 0.0f; /* numpy's float32 sum (0.5 * a + 0.5 * 0.0) */
    for (int k = 0; k < ndue; k++) {
        Py_ssize_t i = (Py_ssize_t)(tiles[due[k]][0] * cols + tiles[due[k]][1]);
        photo[i] = half * photo[i] + half * zero;
        tested[i] = frame;
    }
    return 1;
}

ZS_HIDDEN PyObject *zstream_encode_small(Stream *self, PyObject *args) {
    Py_buffer cur, ref, freq = {0}, tested = {0}, photo = {0};
    int width, height;
    uint32_t seq;
    long long min_area, max_side, raw_max_area;
    PyObject *damage, *cursor, *rect_obj, *tracker;
    if (!ready(self) ||
        !PyArg_ParseTuple(args, "y*y*iiOOO&LLLOO:encode_small", &cur, &ref, &width, &height,
                          &damage, &cursor, to_u32, &seq, &min_area, &max_side,
                          &raw_max_area, &rect_obj, &tracker))
        return NULL;
    PyObject *result = NULL, *rects = NULL, *due_list = NULL, *packed = NULL;
    int(*boxes)[4] = NULL;
    spans done = {NULL, 0, 0};
    box *pix = NULL;
    PyTypeObject *rect_type = (PyTypeObject *)rect_obj;
    long long frame_no = 0, retest_every = 0, tile = 0, few_max = 0, colours_min = 0;
    double decay = 0, test_from = 0, equal_max = 0;
    if (width < 1 || width > MAX_DIMENSION || height < 1 || height > MAX_DIMENSION ||
        cur.len != (Py_ssize_t)width * height * 4 || ref.len != cur.len) {
        PyErr_SetString(PyExc_ValueError, "encode_small: the frames are not width x height "
                                          "BGRA");
        goto end;
    }
    if ((uintptr_t)cur.buf % 4 || (uintptr_t)ref.buf % 4) { /* (read as 32-bit pixels) */
        result = Py_NewRef(Py_None); /* numpy's, on the general path */
        goto end;
    }
    if (named_tuple_type(rect_obj, "encode_small") < 0)
        goto end;
    if (tracker != Py_None) {
        PyObject *freq_obj, *tested_obj, *photo_obj;
        const int grid = PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
        if (!PyTuple_Check(tracker)) {
            PyErr_SetString(PyExc_TypeError, "encode_small: tracker is a tuple or None");
            goto end;
        }
        if (!PyArg_ParseTuple(tracker, "LOOddLLLOdL;tracker: (frame, freq, tested, decay, "
                              "test_from, retest_every, tile, few_max, photo, equal_max, "
                              "colours_min)", &frame_no, &freq_obj, &tested_obj, &decay,
                              &test_from, &retest_every, &tile, &few_max, &photo_obj,
                              &equal_max, &colours_min))
            goto end;
        if (PyObject_GetBuffer(freq_obj, &freq, grid) < 0 ||
            PyObject_GetBuffer(tested_obj, &tested, grid) < 0 ||
            PyObject_GetBuffer(photo_obj, &photo, grid) < 0)
            goto end;
        if (freq.ndim != 2 || tested.ndim != 2 || photo.ndim != 2 || freq.itemsize != 4 ||
            tested.itemsize != 8 || photo.itemsize != 4 || !is_format(&freq, "f", "=f") ||
            !is_format(&tested, "l", "q") || !is_format(&photo, "f", "=f") ||
            freq.shape[0] != tested.shape[0] || freq.shape[1] != tested.shape[1] ||
            photo.shape[0] != freq.shape[0] || photo.shape[1] != freq.shape[1] || tile <= 0) {
            PyErr_SetString(PyExc_ValueError, "freq, tested and photo must be C-contiguous "
                                              "grids (float32, int64, float32) of one shape");
            goto end;
        }
    }
    int has_cursor = 0, small = 0;
    unsigned cx = 0, cy = 0;
    Py_ssize_t n = small_boxes(damage, width, height, min_area, max_side, &boxes, &small);
    if (n < 0)
        goto end;
    if (!small) {
        result = Py_NewRef(Py_None);
        goto end;
    }
    if (parse_cursor(cursor, &has_cursor, &cx, &cy) < 0) /* (the packing's: after the box) */
        goto end;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n && !bad; i++)
        if (boxes[i][2] && boxes[i][3])
            bad = diff_box((const uint32_t *)cur.buf, (const uint32_t *)ref.buf, (size_t)width,
                           boxes[i][0], boxes[i][1], boxes[i][2], boxes[i][3], &done) < 0;
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_NoMemory();
        goto end;
    }
    Py_ssize_t m = (Py_ssize_t)done.len;
    pix = PyMem_Malloc((size_t)(m ? m : 1) * sizeof *pix);
    rects = PyList_New(m);
    if (pix == NULL || rects == NULL) {
        if (pix == NULL)
            PyErr_NoMemory();
        goto end;
    }
    int raw = m + has_cursor <= MAX_OPS;
    for (Py_ssize_t i = 0; i < m; i++) {
        span s = done.items[i];
        pix[i] = (box){s.x0, s.y0, s.x1 - s.x0, s.y1 - s.y0};
        if (pix[i].w * pix[i].h >= raw_max_area)
            raw = 0; /* (the planner's: JPEG may take it) */
        PyObject *r = named_tuple_of(rect_type, pix[i].x, pix[i].y, pix[i].w, pix[i].h);
        if (r == NULL)
            goto end;
        PyList_SET_ITEM(rects, i, r);
    }
    if (tracker != Py_None) { /* the region tracker's books (_regions.count_few) */
        long long tiles[MAX_FEW][2];
        int count = 0, few = m <= 4096;
        for (Py_ssize_t i = 0; i < m && few; i++) {
            long long v[4] = {pix[i].x, pix[i].y, pix[i].w, pix[i].h};
            few = few_tiles_add(v, freq.shape[0], freq.shape[1], tile, few_max, tiles,
                                &count) == 0;
        }
        if (few) {
            few_tiles_sort(tiles, count);
            int due[MAX_FEW];
            int ndue = count_tiles(freq.buf, tested.buf, freq.shape[0], freq.shape[1],
                                   (const long long (*)[2])tiles, count, frame_no, decay,
                                   test_from, retest_every, due);
            if ((due_list = due_tiles((const long long (*)[2])tiles, due, ndue)) == NULL)
                goto end;
            if (raw && ndue) /* (measured only where the update is packed here) */
                raw = measure_due(cur.buf, width, height, photo.buf, tested.buf, freq.shape[1],
                                  tile, (const long long (*)[2])tiles, due, ndue, frame_no,
                                  equal_max, colours_min);
        } else {
            raw = 0; /* (the tracker's numpy books, then the planner) */
        }
    }
    if (!raw) {
        result = Py_BuildValue("(OOOii)", Py_None, rects, due_list ? due_list : Py_None, 0, 0);
        goto end;
    }
    packed = pack_boxes(self, cur.buf, width, height, pix, m, has_cursor, cx, cy, 0,
                        (uint32_t)seq);
    if (packed == NULL)
        goto end;
    result = Py_BuildValue("(OOOOO)", PyTuple_GET_ITEM(packed, 0), rects,
                           due_list ? due_list : Py_None, PyTuple_GET_ITEM(packed, 1),
                           PyTuple_GET_ITEM(packed, 2));
    if (result == NULL)
        spoil(self); /* (the block is in the stream, and will never be sent) */
end:
    Py_XDECREF(packed);
    Py_XDECREF(rects);
    Py_XDECREF(due_list);
    PyMem_Free(pix);
    PyMem_Free(boxes);
    PyMem_RawFree(done.items);
    if (freq.obj != NULL)
        PyBuffer_Release(&freq);
    if (tested.obj != NULL)
        PyBuffer_Release(&tested);
    if (photo.obj != NULL)
        PyBuffer_Release(&photo);
    PyBuffer_Release(&cur);
    PyBuffer_Release(&ref);
    return result;
}
