/* The box reads of the ``_xwire`` extension (its method table is in _xwire.c; built
 * together by setup.py): ``read_boxes``, XShmGetImage of each box through the shared
 * segment into the frame, pipelined in batches the segment holds, after the stale boxes
 * are brought over from the front frame; and the checks of boxes and frames that
 * _xtake.c shares.
 *
 * Why a file of its own: the wire (_xwire.c) knows packets; this knows frames, boxes and
 * the segment's room.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "_xwire.h"

#define SHM_GET_IMAGE 4 /* MIT-SHM minor opcode */
#define MAX_BOXES 4096

static uint16_t native_u16(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* One (x, y, w, h) of a sequence of boxes: any sequence of four ints. */
static int parse_box(PyObject *item, int out[4]) {
    PyObject *t = PySequence_Tuple(item);
    if (t == NULL)
        return -1;
    int ok = PyArg_ParseTuple(t, "iiii;a box is (x, y, w, h)", &out[0], &out[1], &out[2],
                              &out[3]);
    Py_DECREF(t);
    return ok ? 0 : -1;
}

/* The ShmGetImage requests for boxes[first:last], each at its own offset, in one send. */
static int send_gets(int fd, int shm_major, uint32_t drawable, uint32_t seg, int left,
                     int top, const box *boxes, int first, int last, int64_t deadline,
                     failure *f) {
    unsigned char req[32 * 64];
    int count = 0;
    for (int i = first; i < last; i++) {
        unsigned char *r = req + 32 * count;
        uint16_t length = 8;
        int16_t x = (int16_t)(left + boxes[i].x), y = (int16_t)(top + boxes[i].y);
        uint16_t w = (uint16_t)boxes[i].w, h = (uint16_t)boxes[i].h;
        uint32_t planes = 0xFFFFFFFFu, offset = (uint32_t)boxes[i].offset;
        r[0] = (unsigned char)shm_major;
        r[1] = SHM_GET_IMAGE;
        memcpy(r + 2, &length, 2);
        memcpy(r + 4, &drawable, 4);
        memcpy(r + 8, &x, 2);
        memcpy(r + 10, &y, 2);
        memcpy(r + 12, &w, 2);
        memcpy(r + 14, &h, 2);
        memcpy(r + 16, &planes, 4);
        r[20] = 2; /* ZPixmap */
        r[21] = r[22] = r[23] = 0;
        memcpy(r + 24, &seg, 4);
        memcpy(r + 28, &offset, 4);
        if (++count == 64) {
            if (send_all(fd, req, sizeof req, deadline, f) < 0)
                return -1;
            count = 0;
        }
    }
    return count ? send_all(fd, req, (size_t)(32 * count), deadline, f) : 0;
}

/* Room for ``n`` boxes (at most MAX_BOXES: ``too_many`` otherwise), or NULL with an
 * exception set. */
static box *box_array(Py_ssize_t n, const char *too_many) {
    if (n > MAX_BOXES) {
        PyErr_SetString(PyExc_ValueError, too_many);
        return NULL;
    }
    box *array = PyMem_Calloc(n ? (size_t)n : 1, sizeof *array);
    if (array == NULL)
        PyErr_NoMemory();
    return array;
}

XW_HIDDEN int parse_stale(PyObject *stale_obj, int width, int height, box **out,
                          Py_ssize_t *count) {
    /* a tuple, not the caller's list: parse_box may run Python code (an item's __iter__)
     * that would otherwise change a list under the index */
    PyObject *seq = stale_obj == Py_None ? PyTuple_New(0) : PySequence_Tuple(stale_obj);
    if (seq == NULL) /* (None: no stale boxes) */
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(seq), kept = 0;
    box *stale = box_array(n, "too many stale boxes");
    if (stale == NULL) {
        Py_DECREF(seq);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int v[4];
        if (parse_box(PyTuple_GET_ITEM(seq, i), v) < 0) {
            PyMem_Free(stale);
            Py_DECREF(seq);
            return -1;
        }
        long long x0 = v[0] < 0 ? 0 : v[0], y0 = v[1] < 0 ? 0 : v[1];
        long long x1 = (long long)v[0] + v[2], y1 = (long long)v[1] + v[3];
        if (x1 > width)
            x1 = width;
        if (y1 > height)
            y1 = height;
        if (x1 > x0 && y1 > y0) {
            box *k = &stale[kept++];
            k->x = (int)x0, k->y = (int)y0, k->w = (int)(x1 - x0), k->h = (int)(y1 - y0);
        }
    }
    Py_DECREF(seq);
    *out = stale;
    *count = kept;
    return 0;
}

XW_HIDDEN int check_frames(const Py_buffer *frame, int width, int height, PyObject *front_obj,
                           Py_buffer *front) {
    if (width <= 0 || height <= 0 || width > INT16_MAX || height > INT16_MAX ||
        frame->len != (Py_ssize_t)width * height * 4) {
        PyErr_SetString(PyExc_ValueError, "the frame is not width x height BGRA");
        return -1;
    }
    if (front_obj == Py_None)
        return 0;
    if (PyObject_GetBuffer(front_obj, front, PyBUF_SIMPLE) < 0)
        return -1;
    const char *a = front->buf, *b = frame->buf;
    if (front->len != frame->len || (a < b + frame->len && b < a + front->len)) {
        PyErr_SetString(PyExc_ValueError, "front is not another frame of the same size");
        return -1;
    }
    return 0;
}

XW_HIDDEN const char *box_problem(const box *b, int width, int height, int left, int top,
                                  size_t room) {
    if (b->x < 0 || b->y < 0 || b->w <= 0 || b->h <= 0 || b->w > width - b->x ||
        b->h > height - b->y)
        return "a box is outside the frame";
    /* the request's fields: x, y INT16 on the root, w, h CARD16 */
    long long x0 = (long long)left + b->x, y0 = (long long)top + b->y;
    if (x0 < INT16_MIN || y0 < INT16_MIN || x0 + b->w > INT16_MAX + 1LL ||
        y0 + b->h > INT16_MAX + 1LL)
        return "a box is outside X11's coordinates";
    if ((size_t)b->w * (size_t)b->h * 4 > room)
        return "a box does not fit in the segment";
    return NULL;
}

XW_HIDDEN int read_into(int fd, int shm_major, uint32_t drawable, uint32_t seg,
                        const unsigned char *shm, size_t room, unsigned char *frame,
                        const unsigned char *front, int width, int left, int top, box *boxes,
                        Py_ssize_t n, const box *stale, Py_ssize_t n_stale, int depth,
                        int64_t deadline, Py_ssize_t *skipped, failure *f) {
    size_t stride = (size_t)width * 4;
    /* first what front has and frame lacks (the boxes read next overwrite their part) */
    for (Py_ssize_t i = 0; i < n_stale; i++) {
        const box *b = &stale[i];
        size_t at = ((size_t)b->y * width + b->x) * 4, row = (size_t)b->w * 4;
        for (int r = 0; r < b->h; r++)
            memcpy(frame + at + r * stride, front + at + r * stride, row);
    }
    /* as many boxes as fit in the segment go out in one send; then their replies */
    for (Py_ssize_t first = 0; first < n;) {
        size_t used = 0;
        Py_ssize_t last = first;
        while (last < n) {
            size_t bytes = (size_t)boxes[last].w * (size_t)boxes[last].h * 4;
            if (used + bytes > room)
                break;
            boxes[last].offset = used;
            used += bytes;
            last++;
        }
        if (send_gets(fd, shm_major, drawable, seg, left, top, boxes, (int)first, (int)last,
                      deadline, f) < 0)
            return -1;
        uint16_t seq0 = 0;
        for (Py_ssize_t i = first; i < last; i++) {
            unsigned char head[PACKET_HEAD];
            size_t extra = 0;
            if (next_reply(fd, head, &extra, skipped, deadline, f) < 0)
                return -1;
            /* one reply per request, in order, each the size of its box */
            uint16_t seq = native_u16(head + 2);
            if (i == first)
                seq0 = seq;
            if (extra)
                f->wire = "an XShmGetImage reply longer than 32 bytes";
            else if (seq != (uint16_t)(seq0 + (i - first)))
                f->wire = "an XShmGetImage reply out of sequence";
            else if (head[1] != depth)
                f->wire = "XShmGetImage returned another depth";
            else if (native_u32(head + 12) != (uint32_t)boxes[i].w * boxes[i].h * 4)
                f->wire = "XShmGetImage wrote another size than the box's";
            if (f->wire)
                return -1;
        }
        for (Py_ssize_t i = first; i < last; i++) {
            const box *b = &boxes[i];
            const unsigned char *src = shm + b->offset;
            unsigned char *dst = frame + ((size_t)b->y * width + b->x) * 4;
            size_t row = (size_t)b->w * 4;
            for (int r = 0; r < b->h; r++)
                memcpy(dst + r * stride, src + r * row, row);
        }
        first = last;
    }
    return 0;
}

XW_HIDDEN PyObject *xwire_read_boxes(PyObject *self, PyObject *args) {
    int fd, shm_major, width, height, left, top, depth, timeout_ms;
    unsigned int drawable, seg;
    Py_buffer shm, frame, front = {0};
    PyObject *seq_obj, *front_obj = Py_None, *stale_obj = NULL;
    if (!PyArg_ParseTuple(args, "iiIIy*w*iiiiOii|OO", &fd, &shm_major, &drawable, &seg, &shm,
                          &frame, &width, &height, &left, &top, &seq_obj, &depth,
                          &timeout_ms, &front_obj, &stale_obj))
        return NULL;
    PyObject *result = NULL;
    box *boxes = NULL, *stale = NULL;
    Py_ssize_t n_stale = 0;
    /* a tuple, not the caller's list (see parse_stale) */
    PyObject *seq = PySequence_Tuple(seq_obj);
    if (seq == NULL)
        goto done;
    if (check_frames(&frame, width, height, front_obj, &front) < 0)
        goto done;
    /* the kept frames' bring-over (kept_frames._bring_over) */
    if (front_obj != Py_None &&
        parse_stale(stale_obj ? stale_obj : Py_None, width, height, &stale, &n_stale) < 0)
        goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    if ((boxes = box_array(n, "too many boxes")) == NULL)
        goto done;
    /* offsets in the segment are 32-bit */
    size_t room = (uint64_t)shm.len > UINT32_MAX ? UINT32_MAX : (size_t)shm.len;
    for (Py_ssize_t i = 0; i < n; i++) {
        box *b = &boxes[i];
        int v[4];
        if (parse_box(PyTuple_GET_ITEM(seq, i), v) < 0)
            goto done;
        b->x = v[0], b->y = v[1], b->w = v[2], b->h = v[3];
        const char *problem = box_problem(b, width, height, left, top, room);
        if (problem != NULL) {
            PyErr_SetString(PyExc_ValueError, problem);
            goto done;
        }
    }
    failure f = {0};
    Py_ssize_t skipped = 0;
    int bad;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    Py_BEGIN_ALLOW_THREADS
    bad = read_into(fd, shm_major, drawable, seg, shm.buf, room, frame.buf, front.buf, width,
                    left, top, boxes, n, stale, n_stale, depth, deadline, &skipped, &f) < 0;
    Py_END_ALLOW_THREADS
    if (bad)
        raise_failure(&f);
    else
        result = PyLong_FromSsize_t(skipped);
done:
    PyMem_Free(boxes);
    PyMem_Free(stale);
    Py_XDECREF(seq);
    if (front.obj != NULL)
        PyBuffer_Release(&front);
    PyBuffer_Release(&shm);
    PyBuffer_Release(&frame);
    return result;
}
