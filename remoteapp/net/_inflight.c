/* The customer's books of screen updates sent and not acked yet, in C (an optional
 * extension: without it, in_flight.PyInFlight keeps the same books in Python).
 *
 * Why: the books are the credits (no update without one) and they are shared across
 * threads: the sending thread books, the reader thread pops on each ack.  The native
 * lane (docs/capture.md, "Next: the native lane", step 4) will book a typed key's update
 * with the GIL released, so the books need an owner C code can reach and a lock of their
 * own; Python's sender and reader go through the same object.
 *
 *     InFlight(window: int, small_window: int)
 *       .credits                      updates that may go now (see in_flight.py)
 *       .book(seq, large) -> bool     booked; False (nothing booked): no credit
 *       .ack(seq) -> int              updates popped up to seq (cumulative); 0: not in flight
 *       .entries() -> list[(seq, large)]    oldest first
 *       len(books)                    updates in flight
 *
 * A seq is a u32 (the wire's).  The rule (``credits``) is session.py's: ``window``
 * updates in flight, or ``small_window`` while none of them is large.  So at most
 * max(window, small_window) are ever in flight: a ring of that many entries.  Each call
 * takes the object's lock; none waits on anything else.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include "../_seq_books.h"

#define MAX_WINDOW 1024 /* far above messages.py's windows: a bound on the ring */

typedef struct {
    PyObject_HEAD
    uint32_t *seqs;         /* the ring: seqs[(head + i) % cap], i < count */
    unsigned char *large;   /* of them, over SMALL_UPDATE bytes */
    long cap, head, count, large_count, window, small_window;
    PyThread_type_lock lock; /* last: the lane's stand-in in the tests takes it there */
} InFlight;

_Static_assert(offsetof(InFlight, lock) + sizeof(PyThread_type_lock) == sizeof(InFlight),
               "the lock is the last field (tests/net/test_in_flight_contention.py)");

static void lock(InFlight *self) { books_lock(self->lock); }

static void unlock(InFlight *self) { PyThread_release_lock(self->lock); }

/* The credits, with the lock held (no Python: the lane calls it without the GIL). */
static long credits_locked(const InFlight *self) {
    long out = self->count, best = self->window - out;
    if (self->large_count == 0 && self->small_window - out > best)
        best = self->small_window - out;
    return best > 0 ? best : 0;
}

/* Book ``seq`` if a credit is free: 1, else 0 (nothing booked).  Lock held. */
static int book_locked(InFlight *self, uint32_t seq, int large) {
    if (credits_locked(self) <= 0 || self->count >= self->cap)
        return 0;
    long at = (self->head + self->count) % self->cap;
    self->seqs[at] = seq;
    self->large[at] = (unsigned char)(large != 0);
    self->count++;
    self->large_count += large != 0;
    return 1;
}

/* Pop every update up to ``seq``: how many, or 0 if it is not in flight (nothing
 * popped).  Lock held. */
static long ack_locked(InFlight *self, uint32_t seq) {
    long found = -1;
    for (long i = 0; i < self->count && found < 0; i++)
        if (self->seqs[(self->head + i) % self->cap] == seq)
            found = i;
    if (found < 0)
        return 0;
    for (long i = 0; i <= found; i++)
        self->large_count -= self->large[(self->head + i) % self->cap];
    self->head = (self->head + found + 1) % self->cap;
    self->count -= found + 1;
    return found + 1;
}

static int ready(InFlight *self) {
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "InFlight.__init__ was not called");
        return 0;
    }
    return 1;
}

static int InFlight_init(InFlight *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"window", "small_window", NULL};
    long window, small_window;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ll", names, &window, &small_window))
        return -1;
    if (self->lock != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "InFlight.__init__ was called already");
        return -1;
    }
    if (window < 1 || window > MAX_WINDOW || small_window < 0 || small_window > MAX_WINDOW) {
        PyErr_Format(PyExc_ValueError,
                     "window in [1, %d] and small_window in [0, %d] are needed", MAX_WINDOW,
                     MAX_WINDOW);
        return -1;
    }
    long cap = window > small_window ? window : small_window;
    PyMem_Free(self->seqs); /* (an earlier __init__ that failed part-way) */
    PyMem_Free(self->large);
    self->seqs = PyMem_Calloc((size_t)cap, sizeof *self->seqs);
    self->large = PyMem_Calloc((size_t)cap, 1);
    if (self->seqs == NULL || self->large == NULL) {
        PyErr_NoMemory();
        return -1; /* (dealloc frees what was allocated) */
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->cap = cap;
    self->window = window;
    self->small_window = small_window;
    return 0;
}

static void InFlight_dealloc(InFlight *self) {
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    PyMem_Free(self->seqs);
    PyMem_Free(self->large);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *InFlight_book(InFlight *self, PyObject *args) {
    uint32_t seq;
    int large;
    if (!books_arity(args, "book", 2) || !ready(self) ||
        !PyArg_ParseTuple(args, "O&p:book", books_seq, &seq, &large))
        return NULL;
    lock(self);
    int booked = book_locked(self, seq, large);
    unlock(self);
    return PyBool_FromLong(booked);
}

static PyObject *InFlight_ack(InFlight *self, PyObject *arg) {
    uint32_t seq;
    if (!ready(self) || !books_seq(arg, &seq))
        return NULL;
    lock(self);
    long popped = ack_locked(self, seq);
    unlock(self);
    return PyLong_FromLong(popped);
}

static PyObject *InFlight_entries(InFlight *self, PyObject *unused) {
    if (!ready(self))
        return NULL;
    lock(self);
    long n = self->count;
    uint32_t seqs[MAX_WINDOW];
    unsigned char large[MAX_WINDOW];
    for (long i = 0; i < n; i++) {
        seqs[i] = self->seqs[(self->head + i) % self->cap];
        large[i] = self->large[(self->head + i) % self->cap];
    }
    unlock(self); /* (copied first: building the list runs Python, which may switch threads) */
    PyObject *out = PyList_New(n);
    for (long i = 0; out != NULL && i < n; i++) {
        PyObject *entry = Py_BuildValue("(kO)", (unsigned long)seqs[i],
                                        large[i] ? Py_True : Py_False);
        if (entry == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, entry);
    }
    return out;
}

static PyObject *InFlight_credits(InFlight *self, void *unused) {
    if (!ready(self))
        return NULL;
    lock(self);
    long credits = credits_locked(self);
    unlock(self);
    return PyLong_FromLong(credits);
}

static Py_ssize_t InFlight_len(InFlight *self) {
    if (!ready(self))
        return -1;
    lock(self);
    long n = self->count;
    unlock(self);
    return n;
}

static PyMethodDef InFlight_methods[] = {
    {"book", (PyCFunction)InFlight_book, METH_VARARGS,
     "book(seq, large) -> bool: booked, or False (nothing booked) when no credit is free."},
    {"ack", (PyCFunction)InFlight_ack, METH_O,
     "ack(seq) -> int: the updates popped up to seq (cumulative), 0 if not in flight."},
    {"entries", (PyCFunction)InFlight_entries, METH_NOARGS,
     "entries() -> list of (seq, large), oldest first."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef InFlight_getset[] = {
    {"credits", (getter)InFlight_credits, NULL, "updates that may be sent now", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods InFlight_sequence = {.sq_length = (lenfunc)InFlight_len};

static PyTypeObject InFlightType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remoteapp.net._inflight.InFlight",
    .tp_basicsize = sizeof(InFlight),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The books of updates sent and not acked yet (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)InFlight_init,
    .tp_dealloc = (destructor)InFlight_dealloc,
    .tp_methods = InFlight_methods,
    .tp_getset = InFlight_getset,
    .tp_as_sequence = &InFlight_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_inflight",
    "The customer's books of updates in flight (credits) in C (see in_flight).", -1, NULL,
};

PyMODINIT_FUNC PyInit__inflight(void) {
    if (PyType_Ready(&InFlightType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "InFlight", (PyObject *)&InFlightType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
