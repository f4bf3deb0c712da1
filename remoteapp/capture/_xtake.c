/* A typed key's damage grab in one C call, part of the ``_xwire`` extension (its method
 * table is in _xwire.c; built together by setup.py).
 *
 * Why: x11_damage's take (the DAMAGE subtract and region fetch, one round trip), the
 * few-rectangle coalescing and the kept frames' box read (the bring-over and one
 * XShmGetImage round trip) were three C calls with about 50 Python lines around them a
 * typed key (docs/capture.md, "Next: the native lane", step 1).  This is the same work
 * with one entry into C and the GIL released for each wait on the X server:
 *
 *     take_boxes(fd, request, timeout_ms, left, top, width, height, wide_from,
 *                (tile, max_boxes, dense_share, few, rect_type),
 *                (read_fd, shm_major, drawable, seg, shm, depth), frame, front, stale)
 *         -> (skipped, rects, None)       fetched, not read: rects as the reply has them
 *                                         (more than ``few``, a box at least wide_from
 *                                         wide, or one the read cannot take)
 *         -> (skipped, boxes, outcome)    the coalesced boxes cut to their damage
 *                                         (rect_type, relative to (left, top);
 *                                         damage.cut_to_damage), read into frame after the stale
 *                                         boxes were brought over from front; outcome:
 *                                         the read's skipped events, or the exception the
 *                                         read failed with (the frame is then not to be
 *                                         trusted where the boxes and stale boxes are)
 *
 * The fetch's failure raises, as round_trip's (x11_link maps it); the read's is returned,
 * so the damage fetched is never lost with it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../_named_tuple.h"
#include "_xwire.h"

#define REGION_RECT 8 /* x, y INT16, w, h CARD16 */

static int16_t s16(const unsigned char *p) {
    int16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint16_t u16(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* The reply's rectangles as x11_wire.region_rectangles has them: [(x, y, w, h)]. */
static PyObject *raw_rects(const unsigned char *data, Py_ssize_t n) {
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        const unsigned char *r = data + REGION_RECT * i;
        PyObject *t = Py_BuildValue("(iiii)", s16(r), s16(r + 2), u16(r + 4), u16(r + 6));
        if (t == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, t);
    }
    return out;
}

/* The fetch, without the GIL: the reply's rectangles into *data (PyMem_RawMalloc'ed,
 * free it) and their count. */
static int fetch(int fd, const Py_buffer *request, int64_t deadline, unsigned char **data,
                 Py_ssize_t *n, Py_ssize_t *skipped, failure *f) {
    unsigned char head[PACKET_HEAD];
    size_t extra = 0;
    if (send_all(fd, request->buf, (size_t)request->len, deadline, f) < 0 ||
        next_reply(fd, head, &extra, skipped, deadline, f) < 0)
        return -1;
    if (extra % REGION_RECT) {
        f->wire = "a FetchRegion reply of another size than whole rectangles";
        return -1;
    }
    *data = PyMem_RawMalloc(extra ? extra : 1);
    if (*data == NULL) {
        f->err = ENOMEM;
        return -1;
    }
    *n = (Py_ssize_t)(extra / REGION_RECT);
    return recv_exact(fd, *data, extra, deadline, f);
}

XW_HIDDEN PyObject *xwire_take_boxes(PyObject *self, PyObject *args) {
    int fd, timeout_ms, left, top, width, height, wide_from;
    int read_fd, shm_major, depth;
    unsigned int drawable, seg;
    long long tile;
    Py_ssize_t max_boxes, few;
    double dense;
    PyObject *rect_obj, *front_obj, *stale_obj;
    Py_buffer request, shm, frame, front = {0};
    if (!PyArg_ParseTuple(args, "iy*iiiiii(LndnO)(iiIIy*i)w*OO:take_boxes", &fd, &request,
                          &timeout_ms, &left, &top, &width, &height, &wide_from, &tile,
                          &max_boxes, &dense, &few, &rect_obj, &read_fd, &shm_major, &drawable,
                          &seg, &shm, &depth, &frame, &front_obj, &stale_obj))
        return NULL;
    PyObject *result = NULL;
    unsigned char *data = NULL;
    box *stale = NULL, boxes[XW_MAX_FEW];
    Py_ssize_t n_stale = 0;
    PyTypeObject *rect_type = (PyTypeObject *)rect_obj;
    /* everything the read needs is checked before the fetch: a mistake here is ours,
     * and the damage stays with the X server */
    if (named_tuple_type(rect_obj, "take_boxes") < 0)
        goto done;
    if (tile <= 0 || tile > (1 << 16) || max_boxes < 1 || few < 0) {
        PyErr_SetString(PyExc_ValueError, "take_boxes: bad tile, max_boxes or few");
        goto done;
    }
    if (front_obj == Py_None) {
        PyErr_SetString(PyExc_TypeError, "take_boxes: front is a frame");
        goto done;
    }
    if (check_frames(&frame, width, height, front_obj, &front) < 0)
        goto done;
    if (parse_stale(stale_obj, width, height, &stale, &n_stale) < 0)
        goto done;
    failure f = {0};
    Py_ssize_t skipped = 0, n = 0;
    int bad;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    Py_BEGIN_ALLOW_THREADS
    bad = fetch(fd, &request, deadline, &data, &n, &skipped, &f) < 0;
    Py_END_ALLOW_THREADS
    if (bad) {
        raise_failure(&f);
        goto done;
    }
    if (n > few || n > XW_MAX_FEW) { /* many: the Python (numpy) rule */
        result = Py_BuildValue("(nNO)", skipped, raw_rects(data, n), Py_None);
        goto done;
    }
    long long v[XW_MAX_FEW][4], px[XW_MAX_FEW][4];
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *r = data + REGION_RECT * i;
        v[i][0] = (long long)s16(r) - left, v[i][1] = (long long)s16(r + 2) - top;
        v[i][2] = u16(r + 4), v[i][3] = u16(r + 6);
    }
    Py_ssize_t m = coalesce_core((const long long (*)[4])v, n, width, height, tile, max_boxes,
                                 dense, px);
    cut_core((const long long (*)[4])v, n, px, m, wide_from); /* (damage.cut_to_damage) */
    size_t room = (uint64_t)shm.len > UINT32_MAX ? UINT32_MAX : (size_t)shm.len;
    for (Py_ssize_t i = 0; i < m; i++) {
        box *k = &boxes[i];
        k->x = (int)px[i][0], k->y = (int)px[i][1], k->w = (int)px[i][2], k->h = (int)px[i][3];
        if (k->w >= wide_from || box_problem(k, width, height, left, top, room) != NULL) {
            /* whole rows into the shared frame, or what the read refuses: the Python's */
            result = Py_BuildValue("(nNO)", skipped, raw_rects(data, n), Py_None);
            goto done;
        }
    }
    Py_ssize_t read_skipped = 0;
    bad = 0;
    deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0); /* (the read's own bound) */
    if (m) {
        Py_BEGIN_ALLOW_THREADS
        bad = read_into(read_fd, shm_major, drawable, seg, shm.buf, room, frame.buf, front.buf,
                        width, left, top, boxes, m, stale, n_stale, depth, deadline,
                        &read_skipped, &f) < 0;
        Py_END_ALLOW_THREADS
    }
    PyObject *outcome = bad ? failure_exception(&f) : PyLong_FromSsize_t(read_skipped);
    PyObject *got = outcome == NULL ? NULL : PyTuple_New(m);
    for (Py_ssize_t i = 0; got != NULL && i < m; i++) {
        const box *k = &boxes[i];
        PyObject *r = named_tuple_of(rect_type, k->x, k->y, k->w, k->h);
        if (r == NULL)
            Py_CLEAR(got);
        else
            PyTuple_SET_ITEM(got, i, r);
    }
    if (got != NULL)
        result = Py_BuildValue("(nNN)", skipped, got, outcome);
    else
        Py_XDECREF(outcome);
done:
    PyMem_RawFree(data);
    PyMem_Free(stale);
    if (front.obj != NULL)
        PyBuffer_Release(&front);
    PyBuffer_Release(&request);
    PyBuffer_Release(&shm);
    PyBuffer_Release(&frame);
    return result;
}
