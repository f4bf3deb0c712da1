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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The damage source's sleep (x11_damage.XDamageSource.wait) in one call: until the
 * event connection has bytes, the wake pipe is written to, or ``timeout`` seconds pass.
 * A wake is drained; what the event connection holds (up to ``size`` bytes) is read and
 * returned for the Python reader to parse: None if it had nothing, b"" if it closed. */
PyObject *xwire_wait_events(PyObject *self, PyObject *args) {
    int event_fd, wake_fd;
    double timeout;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "iidn:wait_events", &event_fd, &wake_fd, &timeout, &size))
        return NULL;
    if (wake_fd < 0 || size <= 0 || size > (64 << 20) || !(timeout >= 0)) {
        PyErr_SetString(PyExc_ValueError, "wait_events: bad descriptor, size or timeout");
        return NULL;
    }
    if (timeout > 86400.0)
        timeout = 86400.0;
    PyObject *data = PyBytes_FromStringAndSize(NULL, size);
    if (data == NULL)
        return NULL;
    struct pollfd fds[2] = {{wake_fd, POLLIN, 0}, {event_fd, POLLIN, 0}};
    struct timespec ts = {(time_t)timeout, (long)((timeout - (double)(time_t)timeout) * 1e9)};
    int ready, err = 0, woken = 0, closed = 0;
    ssize_t got = -1; /* bytes read from the event connection (-1: none were there) */
    Py_BEGIN_ALLOW_THREADS
    ready = ppoll(fds, event_fd < 0 ? 1 : 2, &ts, NULL);
    if (ready < 0) {
        err = errno;
    } else if ((fds[0].revents | fds[1].revents) & POLLNVAL) {
        err = EBADF;
    } else {
        if (fds[0].revents) {
            char drain[64];
            woken = 1;
            while (read(wake_fd, drain, sizeof drain) == (ssize_t)sizeof drain)
                ;
        }
        if (event_fd >= 0 && fds[1].revents) {
            do
                got = recv(event_fd, PyBytes_AS_STRING(data), (size_t)size, MSG_DONTWAIT);
            while (got < 0 && errno == EINTR);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                got = -1;
            else if (got < 0)
                err = errno;
            else if (got == 0)
                closed = 1;
        }
    }
    Py_END_ALLOW_THREADS
    if (err == EINTR) { /* a signal: its handler runs now; the caller waits again */
        Py_DECREF(data);
        if (PyErr_CheckSignals() < 0)
            return NULL;
        return Py_BuildValue("(OO)", Py_False, Py_None);
    }
    if (err) {
        Py_DECREF(data);
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (got < 0 && !closed) {
        Py_DECREF(data);
        return Py_BuildValue("(OO)", woken ? Py_True : Py_False, Py_None);
    }
    if (_PyBytes_Resize(&data, closed ? 0 : got) < 0)
        return NULL;
    return Py_BuildValue("(ON)", woken ? Py_True : Py_False, data);
}
