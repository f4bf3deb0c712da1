/* The RECORD stream's framing in C: x11_record.RecordReader.next_events in one call.
 *
 * Why: while a window scrolls, the copy capture reads a dozen record replies a frame,
 * and framing them in Python (the packets, each reply's header, its requests and
 * delivered events) was some 550 lines a frame (docs/capture.md, "The copy model's
 * regions and the record stream's framing in C").
 *
 *     record_events(buf, kinds) -> (events, used, ended, failure)
 *
 * ``buf`` is the reader's bytearray (held while it is read: it cannot be resized under
 * us), ``kinds`` the classes (Request, CopyArea, Delivered, Started, Ended,
 * ClientStarted, ClientDied): the first three named tuples, made here with tuple.__new__;
 * the others called (rare).  ``used``: the bytes of the whole packets framed, which the
 * caller drops from ``buf``.  ``failure`` is None, or ("x-error", the 32-byte error
 * packet), or ("wire", a message), x11_record's own words; then ``events`` is empty and
 * ``used`` is what x11_record consumes: 0 for a packet over MAX_PACKET (every packet is
 * framed before any is parsed), all the framed packets for a malformed reply.  Events on
 * the record connection (not replies or errors) are skipped.  The element layouts are in
 * x11_record's docstrings.
 */
#define PY_SSIZE_T_CLEAN
#include "_xwire.h"

#include "../_named_tuple.h"

#define X_ERROR 0
#define X_REPLY 1
#define X_GENERIC_EVENT 35
#define MAX_PACKET (64u << 20) /* as x11_wire.MAX_PACKET */
#define COPY_AREA 62
#define COPY_AREA_BYTES 28
#define EVENT_BYTES 32
enum { FROM_SERVER, FROM_CLIENT, CLIENT_STARTED, CLIENT_DIED, START_OF_DATA, END_OF_DATA };
enum { FROM_SERVER_TIME = 1, FROM_CLIENT_TIME = 2, FROM_CLIENT_SEQUENCE = 4 };
enum { K_REQUEST, K_COPY_AREA, K_DELIVERED, K_STARTED, K_ENDED, K_CLIENT_STARTED, K_DIED, K_N };

typedef struct {
    PyObject *kinds[K_N];
    PyObject *order[2];       /* "<" / ">": the native order, the other */
    int swapped;              /* the recorded client's byte order is the other one */
    PyObject *events;         /* the list being built */
    char message[160];        /* a wire failure's message, when set */
} parse;

static uint32_t u32(const unsigned char *p, int swapped) {
    uint32_t v = native_u32(p);
    return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const unsigned char *p, int swapped) {
    uint16_t v;
    memcpy(&v, p, 2);
    return swapped ? __builtin_bswap16(v) : v;
}

/* x11_record._need: -1 with the message set when ``until`` is past ``end``. */
static int need(parse *ps, unsigned long long until, size_t end, const char *what) {
    if (until <= end)
        return 0;
    snprintf(ps->message, sizeof ps->message,
             "%s runs past its record reply (%llu of %zu bytes)", what, until, end);
    return -1;
}

/* A named tuple of ``kind`` from a plain tuple (stolen), appended: 0, or -1 with an
 * error set (not a wire failure: ps->message stays empty). */
static int append(parse *ps, int kind, PyObject *plain) {
    if (plain == NULL)
        return -1;
    PyObject *args = PyTuple_Pack(1, plain);
    Py_DECREF(plain);
    if (args == NULL)
        return -1;
    PyObject *event = PyTuple_Type.tp_new((PyTypeObject *)ps->kinds[kind], args, NULL);
    Py_DECREF(args);
    if (event == NULL)
        return -1;
    int rc = PyList_Append(ps->events, event);
    Py_DECREF(event);
    return rc;
}

static int call_append(parse *ps, int kind, PyObject *args) {
    PyObject *event = PyObject_Call(ps->kinds[kind], args, NULL);
    Py_DECREF(args);
    if (event == NULL)
        return -1;
    int rc = PyList_Append(ps->events, event);
    Py_DECREF(event);
    return rc;
}

static int requests(parse *ps, const unsigned char *data, size_t end, unsigned client,
                    unsigned flags) {
    size_t time_bytes = flags & FROM_CLIENT_TIME ? 4 : 0;
    int with_sequence = (flags & FROM_CLIENT_SEQUENCE) != 0, sw = ps->swapped;
    unsigned long long at = 0;
    while (at < end) {
        at += time_bytes;
        long long sequence = -1;
        if (with_sequence) {
            if (need(ps, at + 4, end, "a request's sequence number") < 0)
                return -1;
            sequence = native_u32(data + at); /* (the recording client's order) */
            at += 4;
        }
        if (need(ps, at + 4, end, "a request's header") < 0)
            return -1;
        unsigned long long size = 4ULL * u16(data + at + 2, sw);
        int big = size == 0;
        if (big) {
            if (need(ps, at + 8, end, "a big request's length") < 0)
                return -1;
            size = 4ULL * u32(data + at + 4, sw);
            if (size < 8) {
                snprintf(ps->message, sizeof ps->message, "a big request of %llu bytes", size);
                return -1;
            }
        }
        if (need(ps, at + size, end, "a request") < 0)
            return -1;
        const unsigned char *r = data + at;
        at += size;
        PyObject *bytes;
        if (big) { /* (as the server does: the header, then the body) */
            bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(size - 4));
            if (bytes != NULL) {
                memcpy(PyBytes_AS_STRING(bytes), r, 4);
                memcpy(PyBytes_AS_STRING(bytes) + 4, r + 8, size - 8);
            }
        } else if (r[0] == COPY_AREA && size == COPY_AREA_BYTES) {
            int rc = append(ps, K_COPY_AREA,
                            Py_BuildValue("(ILIIIhhhhHH)", client, sequence, u32(r + 4, sw),
                                          u32(r + 8, sw), u32(r + 12, sw),
                                          (short)u16(r + 16, sw), (short)u16(r + 18, sw),
                                          (short)u16(r + 20, sw), (short)u16(r + 22, sw),
                                          u16(r + 24, sw), u16(r + 26, sw)));
            if (rc < 0)
                return -1;
            continue;
        } else {
            bytes = PyBytes_FromStringAndSize((const char *)r, (Py_ssize_t)size);
        }
        if (bytes == NULL)
            return -1;
        const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(bytes);
        Py_ssize_t len = PyBytes_GET_SIZE(bytes);
        if (b[0] == COPY_AREA && len == COPY_AREA_BYTES) { /* (a big CopyArea) */
            int rc = append(ps, K_COPY_AREA,
                            Py_BuildValue("(ILIIIhhhhHH)", client, sequence, u32(b + 4, sw),
                                          u32(b + 8, sw), u32(b + 12, sw),
                                          (short)u16(b + 16, sw), (short)u16(b + 18, sw),
                                          (short)u16(b + 20, sw), (short)u16(b + 22, sw),
                                          u16(b + 24, sw), u16(b + 26, sw)));
            Py_DECREF(bytes);
            if (rc < 0)
                return -1;
            continue;
        }
        if (append(ps, K_REQUEST,
                   Py_BuildValue("(ILBBNO)", client, sequence, b[0], b[1], bytes,
                                 ps->order[sw])) < 0)
            return -1;
    }
    return 0;
}

static int delivered(parse *ps, const unsigned char *data, size_t end, unsigned client,
                     unsigned flags) {
    size_t time_bytes = flags & FROM_SERVER_TIME ? 4 : 0;
    unsigned long long at = 0;
    while (at < end) {
        at += time_bytes;
        if (need(ps, at + EVENT_BYTES, end, "a server packet") < 0)
            return -1;
        if (append(ps, K_DELIVERED,
                   Py_BuildValue("(Iy#O)", client, (const char *)data + at,
                                 (Py_ssize_t)EVENT_BYTES, ps->order[ps->swapped])) < 0)
            return -1;
        at += EVENT_BYTES;
    }
    return 0;
}

/* One reply's events (x11_record._events): 0, 1 for EndOfData, -1 (a wire failure when
 * ps->message is set, else a Python error). */
static int reply(parse *ps, const unsigned char *p, size_t size) {
    unsigned category = p[1], flags = p[8];
    unsigned client = native_u32(p + 12);
    ps->swapped = p[9] != 0;
    switch (category) {
    case FROM_SERVER:
        return delivered(ps, p + PACKET_HEAD, size - PACKET_HEAD, client, flags);
    case FROM_CLIENT:
        return requests(ps, p + PACKET_HEAD, size - PACKET_HEAD, client, flags);
    case START_OF_DATA:
        return call_append(ps, K_STARTED, PyTuple_New(0));
    case END_OF_DATA:
        return call_append(ps, K_ENDED, PyTuple_New(0)) < 0 ? -1 : 1;
    case CLIENT_STARTED:
        return call_append(ps, K_CLIENT_STARTED, Py_BuildValue("(I)", client));
    case CLIENT_DIED:
        return call_append(ps, K_DIED, Py_BuildValue("(I)", client));
    default:
        snprintf(ps->message, sizeof ps->message, "a record reply of category %u", category);
        return -1;
    }
}

static PyObject *result(PyObject *events, Py_ssize_t used, int ended, PyObject *failure) {
    if (failure == NULL) {
        Py_DECREF(events);
        return NULL;
    }
    return Py_BuildValue("(NnNN)", events, used, PyBool_FromLong(ended), failure);
}

XW_HIDDEN PyObject *xwire_record_events(PyObject *self, PyObject *args) {
    PyObject *buf, *kinds;
    if (!PyArg_ParseTuple(args, "O!O!:record_events", &PyByteArray_Type, &buf, &PyTuple_Type,
                          &kinds))
        return NULL;
    if (PyTuple_GET_SIZE(kinds) != K_N) {
        PyErr_SetString(PyExc_TypeError, "record_events: kinds is a tuple of 7 classes");
        return NULL;
    }
    parse ps = {.message = ""};
    for (int k = 0; k < K_N; k++) {
        ps.kinds[k] = PyTuple_GET_ITEM(kinds, k);
        if (k <= K_DELIVERED ? named_tuple_type(ps.kinds[k], "record_events") < 0
                             : !PyCallable_Check(ps.kinds[k])) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "record_events: a kind is not a class");
            return NULL;
        }
    }
    Py_buffer view;
    if (PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *p = view.buf;
    size_t end = (size_t)view.len, at = 0;
    PyObject *events = PyList_New(0), *failure = NULL;
    int ended = 0;
    ps.events = events;
    static PyObject *orders[2]; /* (made once, kept: "<" and ">" in the native's order) */
    for (int i = 0; i < 2; i++)
        if (orders[i] == NULL)
            orders[i] = PyUnicode_InternFromString(PY_LITTLE_ENDIAN == !i ? "<" : ">");
    ps.order[0] = orders[0];
    ps.order[1] = orders[1];
    if (events == NULL || ps.order[0] == NULL || ps.order[1] == NULL)
        goto error;
    /* Every whole packet framed first (x11_wire.PacketReader.next_packets). */
    while (end - at >= PACKET_HEAD) {
        unsigned long long size = PACKET_HEAD;
        if (p[at] == X_REPLY || p[at] == X_GENERIC_EVENT)
            size += 4ULL * native_u32(p + at + 4);
        if (size > MAX_PACKET) { /* (nothing consumed, nothing parsed: events is empty) */
            PyBuffer_Release(&view);
            return result(events, 0, 0,
                          Py_BuildValue("(sN)", "wire",
                                        PyUnicode_FromFormat("an X packet of %llu bytes (over %u)",
                                                             size, MAX_PACKET)));
        }
        if (end - at < size)
            break;
        at += size;
    }
    size_t used = at;
    for (at = 0; at < used;) {
        size_t size = PACKET_HEAD;
        if (p[at] == X_REPLY || p[at] == X_GENERIC_EVENT)
            size += 4 * (size_t)native_u32(p + at + 4);
        if (p[at] == X_ERROR) {
            failure = Py_BuildValue("(sy#)", "x-error", (const char *)p + at,
                                    (Py_ssize_t)PACKET_HEAD);
            break;
        }
        if (p[at] == X_REPLY) {
            int rc = reply(&ps, p + at, size);
            if (rc < 0 && ps.message[0] == '\0')
                goto error;
            if (rc < 0) {
                failure = Py_BuildValue("(ss)", "wire", ps.message);
                break;
            }
            ended |= rc;
        }
        at += size;
    }
    PyBuffer_Release(&view);
    if (failure != NULL) { /* (none of the call's events handed out) */
        Py_SETREF(events, PyList_New(0));
        if (events == NULL) {
            Py_DECREF(failure);
            return NULL;
        }
        return result(events, (Py_ssize_t)used, 0, failure);
    }
    return result(events, (Py_ssize_t)used, ended, Py_NewRef(Py_None));
error:
    PyBuffer_Release(&view);
    Py_XDECREF(events);
    return NULL;
}
