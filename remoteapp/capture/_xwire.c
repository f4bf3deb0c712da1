/* The capture thread's X round trips in C, with the GIL released (an optional
 * extension: without it, x11_link does the same in Python).
 *
 * Why: a typed key's grab is one DAMAGE fetch and one XShmGetImage, a few hundred
 * bytes each way, and the Python around them cost more than the X server's work
 * (docs/capture.md, "The per-update floor": 173 us of Python against 22 of C to read
 * one box).  This module writes the fixed-layout requests x11_wire builds and reads
 * back exactly the packets it needs: it never reads past the reply it waits for, so the
 * connection's Python reader (x11_link.XLink) finds the stream where it left it.
 *
 *     wait_events(event_fd, wake_fd, timeout, size) -> (woken, data)   (in _xwait.c)
 *     wait_damage(event_fd, wake_fd, timeout, size, damage_event, xi_opcode,
 *                 raw_motion) -> (woken, seen, data)                    (in _xwait.c)
 *     coalesce_few(rects, width, height, tile, max_boxes, dense_share) -> boxes  (_xboxes.c)
 *     take_boxes(...): the damage fetch, coalesce_few and read_boxes in one   (_xtake.c)
 *     round_trip(fd, request, timeout_ms) -> (reply, skipped)
 *     read_boxes(fd, shm_major, drawable, seg, shm, frame, frame_width, frame_height,
 *                left, top, boxes, depth, timeout_ms[, front, stale]) -> skipped
 *
 * Errors: ``Error(kind, detail)``, kind "x-error" with the server's 32-byte error packet
 * as detail, or "wire" with a message (no answer in time, a closed connection, a packet
 * over MAX_PACKET, a reply out of sequence or of another size than asked); OSError for
 * the socket's own errors.  x11_link maps both to its XWireError / XRequestError, and
 * gives the connection up after any of them (what is left in the stream is not to be
 * trusted).  Built on Linux (setup.py): MSG_NOSIGNAL, MSG_DONTWAIT.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "_xwire.h"

#define X_ERROR 0
#define X_REPLY 1
#define X_GENERIC_EVENT 35
#define MAX_PACKET (64u << 20) /* as x11_wire.MAX_PACKET */
#define SHM_GET_IMAGE 4        /* MIT-SHM minor opcode */
#define MAX_BOXES 4096

static PyObject *WireError;

XW_HIDDEN int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ``events`` on fd until the deadline: 1 ready, 0 timed out, -1 errno. */
static int wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (p.revents & POLLNVAL) {
            errno = EBADF;
            return -1;
        }
        return 1; /* (POLLERR, POLLHUP: the send or recv that follows says what) */
    }
}

XW_HIDDEN int send_all(int fd, const unsigned char *data, size_t len, int64_t deadline,
                    failure *f) {
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, deadline);
            if (r == 0) {
                f->wire = "the X server took no request in time";
                return -1;
            }
            if (r < 0) {
                f->err = errno ? errno : EIO;
                return -1;
            }
            continue;
        }
        f->err = n < 0 ? errno : EIO;
        return -1;
    }
    return 0;
}

XW_HIDDEN int recv_exact(int fd, unsigned char *buf, size_t len, int64_t deadline,
                      failure *f) {
    while (len) {
        ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0) {
            f->wire = "the X server closed the connection";
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_fd(fd, POLLIN, deadline);
            if (r == 0) {
                f->wire = "no answer from the X server in time";
                return -1;
            }
            if (r < 0) {
                f->err = errno ? errno : EIO;
                return -1;
            }
            continue;
        }
        f->err = errno;
        return -1;
    }
    return 0;
}

/* Whether the deadline has passed (then the failure says so): skipping events, the loops
 * look each time round, since a server that never stops sending never makes recv wait. */
static int late(int64_t deadline, failure *f) {
    if (now_ms() <= deadline)
        return 0;
    f->wire = "no answer from the X server in time";
    return 1;
}

/* Skip bytes of a packet we do not keep (an event's tail). */
static int discard(int fd, size_t len, int64_t deadline, failure *f) {
    unsigned char sink[4096];
    while (len) {
        if (late(deadline, f))
            return -1;
        size_t step = len < sizeof sink ? len : sizeof sink;
        if (recv_exact(fd, sink, step, deadline, f) < 0)
            return -1;
        len -= step;
    }
    return 0;
}

static uint32_t native_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Read packets until a reply: its head into ``head`` and its extra length (bytes) into
 * ``*extra`` (not read).  Events are skipped (counted), an error packet fails. */
XW_HIDDEN int next_reply(int fd, unsigned char head[PACKET_HEAD], size_t *extra,
                      Py_ssize_t *skipped, int64_t deadline, failure *f) {
    for (;;) {
        if (recv_exact(fd, head, PACKET_HEAD, deadline, f) < 0)
            return -1;
        uint8_t kind = head[0];
        size_t more = 0;
        if (kind == X_REPLY || kind == X_GENERIC_EVENT) {
            uint64_t words = native_u32(head + 4);
            if (PACKET_HEAD + 4 * words > MAX_PACKET) {
                f->wire = "an X packet over the size bound";
                return -1;
            }
            more = (size_t)(4 * words);
        }
        if (kind == X_ERROR) {
            memcpy(f->xerr, head, PACKET_HEAD);
            f->has_xerr = 1;
            return -1;
        }
        if (kind == X_REPLY) {
            *extra = more;
            return 0;
        }
        if (late(deadline, f) || discard(fd, more, deadline, f) < 0)
            return -1; /* (an event past the deadline: a reply that came is still taken) */
        ++*skipped;
    }
}

XW_HIDDEN PyObject *failure_exception(const failure *f) {
    if (!f->has_xerr && !f->wire)
        return PyObject_CallFunction(PyExc_OSError, "is", f->err, strerror(f->err));
    PyObject *args = f->has_xerr ? Py_BuildValue("(sy#)", "x-error", (const char *)f->xerr,
                                                 (Py_ssize_t)PACKET_HEAD)
                                 : Py_BuildValue("(ss)", "wire", f->wire);
    if (args == NULL)
        return NULL;
    PyObject *exc = PyObject_Call(WireError, args, NULL);
    Py_DECREF(args);
    return exc;
}

XW_HIDDEN PyObject *raise_failure(const failure *f) {
    if (!f->has_xerr && !f->wire) {
        errno = f->err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *exc = failure_exception(f);
    if (exc != NULL) { /* (else the MemoryError stands) */
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

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

static PyObject *round_trip(PyObject *self, PyObject *args) {
    int fd, timeout_ms;
    Py_buffer request;
    if (!PyArg_ParseTuple(args, "iy*i", &fd, &request, &timeout_ms))
        return NULL;
    failure f = {0};
    unsigned char head[PACKET_HEAD];
    size_t extra = 0;
    Py_ssize_t skipped = 0;
    int bad;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    Py_BEGIN_ALLOW_THREADS
    bad = send_all(fd, request.buf, (size_t)request.len, deadline, &f) < 0 ||
          next_reply(fd, head, &extra, &skipped, deadline, &f) < 0;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&request);
    if (bad)
        return raise_failure(&f);
    PyObject *reply = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(PACKET_HEAD + extra));
    if (reply == NULL)
        return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(reply);
    memcpy(out, head, PACKET_HEAD);
    Py_BEGIN_ALLOW_THREADS
    bad = recv_exact(fd, out + PACKET_HEAD, extra, deadline, &f) < 0;
    Py_END_ALLOW_THREADS
    if (bad) {
        Py_DECREF(reply);
        return raise_failure(&f);
    }
    return Py_BuildValue("(Nn)", reply, skipped);
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

static PyObject *read_boxes(PyObject *self, PyObject *args) {
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


__attribute__((visibility("hidden"))) PyObject *xwire_wait_events(PyObject *self,
                                                                  PyObject *args); /* _xwait.c */
__attribute__((visibility("hidden"))) PyObject *xwire_wait_damage(PyObject *self,
                                                                  PyObject *args); /* _xwait.c */
__attribute__((visibility("hidden"))) PyObject *xwire_coalesce_few(PyObject *self,
                                                                   PyObject *args); /* _xboxes.c */
XW_HIDDEN PyObject *xwire_take_boxes(PyObject *self, PyObject *args); /* _xtake.c */

static PyMethodDef methods[] = {
    {"wait_events", xwire_wait_events, METH_VARARGS,
     "wait_events(event_fd, wake_fd, timeout, size) -> (woken, data): sleep until the "
     "event connection (-1: not watched) has bytes, the wake pipe is written to, or "
     "timeout s pass; drain the wake, read up to size bytes (None: none were there, "
     "b'': the connection closed)."},
    {"wait_damage", xwire_wait_damage, METH_VARARGS,
     "wait_damage(event_fd, wake_fd, timeout, size, damage_event, xi_opcode, raw_motion) "
     "-> (woken, seen, data): wait_events, but bytes that are only DamageNotify events and "
     "XInput 2 raw motions come back as seen (1: damage, 2: motion) and data None."},
    {"coalesce_few", xwire_coalesce_few, METH_VARARGS,
     "coalesce_few(rects, width, height, tile, max_boxes, dense_share) -> [(x, y, w, h)] "
     "| None: damage.coalesce for a few rectangles (None: a coordinate beyond 2**40 or "
     "no int, or a frame beyond 2**20, left to the Python)."},
    {"round_trip", round_trip, METH_VARARGS,
     "round_trip(fd, request, timeout_ms) -> (reply, skipped): send the request bytes "
     "(ending with the one request that has a reply) and read packets up to that reply; "
     "events are skipped and counted, an error packet raises Error('x-error', packet)."},
    {"read_boxes", read_boxes, METH_VARARGS,
     "read_boxes(fd, shm_major, drawable, seg, shm, frame, width, height, left, top, "
     "boxes, depth, timeout_ms) -> skipped: XShmGetImage of each (x, y, w, h) box of the "
     "monitor at (left, top) into the segment (mapped as shm), pipelined, then copied "
     "into the frame (width x height BGRA) at the box; given front (another such frame) "
     "and stale boxes (clipped to the frame; ignored without front), those are first "
     "copied from front into the frame."},
    {"take_boxes", xwire_take_boxes, METH_VARARGS,
     "take_boxes(fd, request, timeout_ms, left, top, width, height, wide_from, (tile, "
     "max_boxes, dense_share, few, rect_type), (read_fd, shm_major, drawable, seg, shm, "
     "depth), frame, front, stale) -> (skipped, rects, None) | (skipped, boxes, outcome): "
     "the damage fetch (round_trip), the few-rectangle coalescing and read_boxes with "
     "its bring-over in one call (see _xtake.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_xwire",
    "The capture thread's X round trips in C (see x11_link).", -1, methods,
};

PyMODINIT_FUNC PyInit__xwire(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    WireError = PyErr_NewException("remoteapp.capture._xwire.Error", NULL, NULL);
    if (WireError == NULL || PyModule_AddObjectRef(m, "Error", WireError) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
