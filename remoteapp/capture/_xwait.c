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

/* The damage source's sleep (x11_damage.XDamageSource.wait) in one call: until the
 * event connection has bytes, the wake pipe is written to, or ``timeout`` seconds pass
 * (a signal's handler runs meanwhile, and the wait goes on for what is left, as
 * select() does).  A wake is drained; what the event connection holds (up to ``size``
 * bytes) is read and returned for the Python reader to parse: None if it had nothing,
 * b"" if it closed. */
__attribute__((visibility("hidden"))) PyObject *xwire_wait_events(PyObject *self,
                                                                  PyObject *args) {
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
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    long long ns = deadline.tv_nsec + (long long)((timeout - (double)(long long)timeout) * 1e9);
    deadline.tv_sec += (time_t)timeout + (time_t)(ns / 1000000000LL);
    deadline.tv_nsec = (long)(ns % 1000000000LL);
    struct pollfd fds[2] = {{wake_fd, POLLIN, 0}, {event_fd, POLLIN, 0}};
    int err, woken, closed;
    ssize_t got; /* bytes read from the event connection (-1: none were there) */
    char *buf = NULL;
    for (;;) {
        err = woken = closed = 0;
        got = -1;
        Py_BEGIN_ALLOW_THREADS
        struct timespec left;
        remaining(&deadline, &left);
        int ready = ppoll(fds, event_fd < 0 ? 1 : 2, &left, NULL);
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
            if (event_fd >= 0 && fds[1].revents && (buf = PyMem_RawMalloc((size_t)size))) {
                do
                    got = recv(event_fd, buf, (size_t)size, MSG_DONTWAIT);
                while (got < 0 && errno == EINTR);
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    got = -1;
                else if (got < 0)
                    err = errno;
                else if (got == 0)
                    closed = 1;
            } else if (event_fd >= 0 && fds[1].revents) {
                err = ENOMEM;
            }
        }
        Py_END_ALLOW_THREADS
        if (err != EINTR)
            break;
        if (PyErr_CheckSignals() < 0) /* a handler raised (Ctrl-C): nothing was read */
            return NULL;
    }
    PyObject *data = NULL;
    if (err) {
        errno = err;
        PyErr_SetFromErrno(PyExc_OSError);
    } else if (got < 0 && !closed) {
        data = Py_BuildValue("(OO)", woken ? Py_True : Py_False, Py_None);
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(buf, closed ? 0 : got);
        if (bytes != NULL)
            data = Py_BuildValue("(ON)", woken ? Py_True : Py_False, bytes);
    }
    PyMem_RawFree(buf);
    return data;
}
