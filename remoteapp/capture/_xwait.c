/* The damage source's sleep in C, part of the ``_xwire`` extension (its method table is
 * in _xwire.c; built together by setup.py).
 *
 * Why: x11_damage.XDamageSource.wait was a select() on two descriptors, a read of the
 * wake pipe and a recv of the event connection, three Python calls a typed key, about
 * 20 us cold; this is one, with the GIL released while it sleeps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "_xwire.h"

static void remaining(const struct timespec *deadline, struct timespec *left) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
                   (deadline->tv_nsec - now.tv_nsec);
    if (ns < 0)
        ns = 0;
    left->tv_sec = (time_t)(ns / 1000000000LL);
    left->tv_nsec = (long)(ns % 1000000000LL);
}

/* Sleep until the event connection has bytes, the wake pipe is written to, or the
 * deadline passes (a signal's handler runs meanwhile, and the sleep goes on for what is
 * left, as select() does); drain a wake and read what the connection holds.  -1 with a
 * Python error set if a signal handler raised (nothing was read). */
XW_HIDDEN int sleep_once(int event_fd, int wake_fd, double timeout, Py_ssize_t size, Sleep *s) {
    if (timeout > 86400.0)
        timeout = 86400.0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    long long ns = deadline.tv_nsec + (long long)((timeout - (double)(long long)timeout) * 1e9);
    deadline.tv_sec += (time_t)timeout + (time_t)(ns / 1000000000LL);
    deadline.tv_nsec = (long)(ns % 1000000000LL);
    struct pollfd fds[2] = {{wake_fd, POLLIN, 0}, {event_fd, POLLIN, 0}};
    s->buf = NULL;
    for (;;) {
        s->err = s->woken = s->closed = 0;
        s->got = -1;
        Py_BEGIN_ALLOW_THREADS
        struct timespec left;
        remaining(&deadline, &left);
        int ready = ppoll(fds, event_fd < 0 ? 1 : 2, &left, NULL);
        if (ready < 0) {
            s->err = errno;
        } else if ((fds[0].revents | fds[1].revents) & POLLNVAL) {
            s->err = EBADF;
        } else {
            if (fds[0].revents) {
                char drain[64];
                s->woken = 1;
                while (read(wake_fd, drain, sizeof drain) == (ssize_t)sizeof drain)
                    ;
            }
            if (event_fd >= 0 && fds[1].revents && (s->buf = PyMem_RawMalloc((size_t)size))) {
                do
                    s->got = recv(event_fd, s->buf, (size_t)size, MSG_DONTWAIT);
                while (s->got < 0 && errno == EINTR);
                if (s->got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    s->got = -1;
                else if (s->got < 0)
                    s->err = errno;
                else if (s->got == 0)
                    s->closed = 1;
            } else if (event_fd >= 0 && fds[1].revents) {
                s->err = ENOMEM;
            }
        }
        Py_END_ALLOW_THREADS
        if (s->err != EINTR)
            return 0;
        if (PyErr_CheckSignals() < 0) { /* a handler raised (Ctrl-C): nothing was read */
            PyMem_RawFree(s->buf);
            s->buf = NULL;
            return -1;
        }
    }
}

static int parse_wait(PyObject *args, const char *format, int *event_fd, int *wake_fd,
                      double *timeout, Py_ssize_t *size, int *damage_event, int *xi_opcode,
                      int *raw_motion) {
    if (!PyArg_ParseTuple(args, format, event_fd, wake_fd, timeout, size, damage_event,
                          xi_opcode, raw_motion))
        return -1;
    if (*wake_fd < 0 || *size <= 0 || *size > (64 << 20) || !(*timeout >= 0)) {
        PyErr_Format(PyExc_ValueError, "%s: bad descriptor, size or timeout",
                     strchr(format, ':') + 1);
        return -1;
    }
    return 0;
}

/* What the bytes read say, when they are only whole DamageNotify events and XInput 2
 * raw motions: SEEN_DAMAGE | SEEN_MOTION; 0 for anything else (another event, an
 * error, a reply, a packet cut short, a read that filled the buffer: more may wait),
 * which the Python reader then parses. */
#define GENERIC_EVENT 35

XW_HIDDEN int summary(const unsigned char *buf, ssize_t got, Py_ssize_t size, int damage_event,
                   int xi_opcode, int raw_motion) {
    int seen = 0;
    if (got <= 0 || got >= size)
        return 0;
    for (ssize_t pos = 0; pos < got;) {
        if (got - pos < 32)
            return 0;
        const unsigned char *p = buf + pos;
        if ((p[0] & 0x7F) == damage_event && p[0] != GENERIC_EVENT) {
            seen |= SEEN_DAMAGE;
            pos += 32;
        } else if (p[0] == GENERIC_EVENT) {
            uint32_t length;
            uint16_t kind;
            memcpy(&length, p + 4, sizeof length); /* (the client's byte order: native) */
            memcpy(&kind, p + 8, sizeof kind);
            if (p[1] != xi_opcode || kind != raw_motion || length > (uint32_t)(size / 4))
                return 0;
            if (32 + 4 * (ssize_t)length > got - pos)
                return 0;
            seen |= SEEN_MOTION;
            pos += 32 + 4 * (ssize_t)length;
        } else {
            return 0;
        }
    }
    return seen;
}

/* Both waits: parse, sleep, and the result; ``tell``: wait_damage's summary. */
static PyObject *wait_with(PyObject *args, const char *format, int tell) {
    int event_fd, wake_fd, damage_event = -1, xi_opcode = -1, raw_motion = -1;
    double timeout;
    Py_ssize_t size;
    if (parse_wait(args, format, &event_fd, &wake_fd, &timeout, &size, &damage_event,
                   &xi_opcode, &raw_motion) < 0)
        return NULL;
    Sleep s;
    if (sleep_once(event_fd, wake_fd, timeout, size, &s) < 0)
        return NULL;
    PyObject *result = NULL;
    PyObject *woken = s.woken ? Py_True : Py_False;
    int seen = !tell || s.err || s.closed ? 0
                                          : summary((const unsigned char *)s.buf, s.got, size,
                                                    damage_event, xi_opcode, raw_motion);
    if (s.err) {
        errno = s.err;
        PyErr_SetFromErrno(PyExc_OSError);
    } else if (seen || (s.got < 0 && !s.closed)) {
        result = tell ? Py_BuildValue("(OiO)", woken, seen, Py_None)
                      : Py_BuildValue("(OO)", woken, Py_None);
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(s.buf, s.closed ? 0 : s.got);
        if (bytes != NULL)
            result = tell ? Py_BuildValue("(OiN)", woken, 0, bytes)
                          : Py_BuildValue("(ON)", woken, bytes);
    }
    PyMem_RawFree(s.buf);
    return result;
}

/* The damage source's sleep (x11_damage.XDamageSource.wait) in one call: until the
 * event connection has bytes, the wake pipe is written to, or ``timeout`` seconds pass.
 * A wake is drained; what the event connection holds (up to ``size`` bytes) is read and
 * returned for the Python reader to parse: None if it had nothing, b"" if it closed. */
__attribute__((visibility("hidden"))) PyObject *xwire_wait_events(PyObject *self,
                                                                  PyObject *args) {
    return wait_with(args, "iidn:wait_events", 0);
}

/* ``wait_events`` for the damage source's common case: when what was read is only
 * DamageNotify events of ``damage_event`` and XInput 2 raw motions (extension
 * ``xi_opcode``, event type ``raw_motion``), it returns what they say instead of the
 * bytes, ``(woken, seen, None)`` with ``seen`` SEEN_DAMAGE | SEEN_MOTION: the Python
 * reader's framing and dispatch of a typed key's one event cost more than the sleep.
 * Anything else read comes back as bytes, ``(woken, 0, data)``, as ``wait_events``. */
__attribute__((visibility("hidden"))) PyObject *xwire_wait_damage(PyObject *self,
                                                                  PyObject *args) {
    return wait_with(args, "iidniii:wait_damage", 1);
}
