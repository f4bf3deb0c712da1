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
 *                left, top, boxes, depth, timeout_ms[, front, stale]) -> skipped  (_xread.c)
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


__attribute__((visibility("hidden"))) PyObject *xwire_wait_events(PyObject *self,
                                                                  PyObject *args); /* _xwait.c */
__attribute__((visibility("hidden"))) PyObject *xwire_wait_damage(PyObject *self,
                                                                  PyObject *args); /* _xwait.c */
__attribute__((visibility("hidden"))) PyObject *xwire_coalesce_few(PyObject *self,
                                                                   PyObject *args); /* _xboxes.c */
XW_HIDDEN PyObject *xwire_read_boxes(PyObject *self, PyObject *args); /* _xread.c */

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
    {"read_boxes", xwire_read_boxes, METH_VARARGS,
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
    {"take_key", xwire_take_key, METH_VARARGS,
     "take_key((event_fd, wake_fd, damage_event, xi_opcode, raw_motion), size, pending, "
     "timeout, due_at, (started, last_input, active_gap, calm_gap, active_for), take) -> "
     "(kind, ...): the key lane's wait for damage (wait_damage), the pacing gap's wait "
     "and take_boxes(*take) in one call (see _xkey.c)."},
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
