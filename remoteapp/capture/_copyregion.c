/* The copy model's regions in C (an optional extension: without it, copy_model.PyRegion
 * keeps the same regions in Python).
 *
 * Why: while a window scrolls, the copy capture's model adds each damage box, moves both
 * regions with each trusted copy and takes each read out of them: some 600 Python lines a
 * frame of rectangle arithmetic (docs/capture.md, "The copy model's regions in C").  Here
 * each of those calls is one C call over an array of boxes.
 *
 *     Region(rect_type, limit)       rect_type: the named tuple the rectangles come back as
 *       .add(rect)                   its pixels joined (as disjoint pieces)
 *       .remove(rect)                its pixels taken out
 *       .overlapping(rect) -> list   each rectangle's part inside rect
 *       .move(src, dx, dy)           as a copy of src by (dx, dy) does to the pixels marked
 *       .clear()
 *       .rects -> list               the rectangles (a new list each time)
 *       bool(region), len(region)
 *     cut_all(rect_type, boxes, cuts, most) -> list | None
 *                                    the boxes less each cut in turn (each cut as remove
 *                                    does), None once more than ``most`` pieces are left:
 *                                    the copy grabber's stale areas (copy_frames)
 *
 * Every answer, and the order of the rectangles, is PyRegion's: past ``limit`` rectangles
 * a region becomes their bounding box (tests/capture/test_copy_region.py runs both).  A
 * rectangle is a tuple of four ints, each within +-2**40 (OverflowError beyond: the model's
 * are a screen's, and their sums must not overflow).  No call runs Python code while the
 * boxes change, so the region never sees itself half changed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "../_named_tuple.h"

#define LIMIT_MAX 4096        /* the most rectangles a region may be asked to keep */
#define COORD_MAX (1LL << 40) /* the largest coordinate or size taken */

typedef struct {
    long long x, y, w, h;
} Box;

/* A growable array of boxes (PyMem; the caller frees ``at``). */
typedef struct {
    Box *at;
    Py_ssize_t n, cap;
} Boxes;

static int push(Boxes *b, Box v) {
    if (b->n == b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 16;
        if (cap > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Box)) {
            PyErr_NoMemory();
            return -1;
        }
        Box *at = PyMem_Realloc(b->at, (size_t)cap * sizeof(Box));
        if (at == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->at = at;
        b->cap = cap;
    }
    b->at[b->n++] = v;
    return 0;
}

static inline long long lmin(long long a, long long b) { return a < b ? a : b; }

/* ``self`` without ``cut`` pushed onto ``out``, as geometry.Rect.minus: up to four strips
 * (top, bottom, then left and right of the overlap), or ``self`` when they do not meet. */
static int minus(Box s, Box c, Boxes *out) {
    long long right = s.x + s.w, bottom = s.y + s.h;
    long long x0 = s.x >= c.x ? s.x : c.x, y0 = s.y >= c.y ? s.y : c.y;
    long long x1 = lmin(right, c.x + c.w), y1 = lmin(bottom, c.y + c.h);
    if (x1 <= x0 || y1 <= y0)
        return push(out, s);
    if (y0 > s.y && push(out, (Box){s.x, s.y, s.w, y0 - s.y}) < 0)
        return -1;
    if (bottom > y1 && push(out, (Box){s.x, y1, s.w, bottom - y1}) < 0)
        return -1;
    if (x0 > s.x && push(out, (Box){s.x, y0, x0 - s.x, y1 - y0}) < 0)
        return -1;
    if (right > x1 && push(out, (Box){x1, y0, right - x1, y1 - y0}) < 0)
        return -1;
    return 0;
}

/* ``a`` and ``b`` share no pixel by the open test the regions use (the caller's ``b``
 * may be empty: then nothing overlaps it either way minus answers). */
static inline int apart(Box a, Box b) {
    return a.x >= b.x + b.w || a.x + a.w <= b.x || a.y >= b.y + b.h || a.y + a.h <= b.y;
}

typedef struct {
    PyObject_HEAD
    Boxes rects;
    Py_ssize_t limit;
    PyObject *rect_type;
} Region;

static int as_coord(PyObject *v, long long *out) {
    long long n = PyLong_AsLongLong(v);
    if (n == -1 && PyErr_Occurred())
        return -1;
    if (n > COORD_MAX || n < -COORD_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a rectangle's numbers must be within +-2**40");
        return -1;
    }
    *out = n;
    return 0;
}

static int as_box(PyObject *obj, Box *out) {
    if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) != 4) {
        PyErr_SetString(PyExc_TypeError, "a rectangle is a tuple (x, y, w, h)");
        return -1;
    }
    if (as_coord(PyTuple_GET_ITEM(obj, 0), &out->x) < 0 ||
        as_coord(PyTuple_GET_ITEM(obj, 1), &out->y) < 0 ||
        as_coord(PyTuple_GET_ITEM(obj, 2), &out->w) < 0 ||
        as_coord(PyTuple_GET_ITEM(obj, 3), &out->h) < 0)
        return -1;
    return 0;
}

static PyObject *box_list(PyObject *rect_type, const Box *boxes, Py_ssize_t n) {
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        const Box *b = &boxes[i];
        PyObject *r = named_tuple_of((PyTypeObject *)rect_type, b->x, b->y, b->w, b->h);
        if (r == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, r);
    }
    return out;
}

/* ``boxes`` less ``r``: each box apart from it as it is, each other its parts outside it,
 * in order (PyRegion.remove; copy_frames' cuts). */
static int cut_boxes(const Boxes *boxes, Box r, Boxes *out) {
    for (Py_ssize_t i = 0; i < boxes->n; i++) {
        Box have = boxes->at[i];
        if ((apart(have, r) ? push(out, have) : minus(have, r, out)) < 0)
            return -1;
    }
    return 0;
}

/* ``rect`` joined: the pieces of it no rectangle holds, appended in PyRegion's order. */
static int region_add(Region *self, Box r) {
    if (r.w <= 0 || r.h <= 0)
        return 0;
    long long x1 = r.x + r.w, y1 = r.y + r.h;
    Boxes pieces = {0}, next = {0};
    int rc = push(&pieces, r);
    for (Py_ssize_t i = 0; rc == 0 && i < self->rects.n; i++) {
        Box have = self->rects.at[i];
        if (apart(have, r))
            continue;
        if (have.x <= r.x && have.y <= r.y && have.x + have.w >= x1 && have.y + have.h >= y1) {
            pieces.n = 0; /* (inside one: nothing new) */
            break;
        }
        next.n = 0;
        for (Py_ssize_t j = 0; rc == 0 && j < pieces.n; j++)
            rc = minus(pieces.at[j], have, &next);
        Boxes swap = pieces;
        pieces = next;
        next = swap;
        if (pieces.n == 0)
            break;
    }
    Py_ssize_t added = rc == 0 ? pieces.n : 0;
    for (Py_ssize_t j = 0; rc == 0 && j < added; j++)
        rc = push(&self->rects, pieces.at[j]);
    PyMem_Free(pieces.at);
    PyMem_Free(next.at);
    /* (only after pieces were joined, as PyRegion: a remove may leave more than limit) */
    if (rc == 0 && added && self->rects.n > self->limit) {
        Box *a = self->rects.at;
        long long bx0 = a[0].x, by0 = a[0].y, bx1 = a[0].x + a[0].w, by1 = a[0].y + a[0].h;
        for (Py_ssize_t i = 1; i < self->rects.n; i++) {
            bx0 = lmin(bx0, a[i].x);
            by0 = lmin(by0, a[i].y);
            bx1 = a[i].x + a[i].w > bx1 ? a[i].x + a[i].w : bx1;
            by1 = a[i].y + a[i].h > by1 ? a[i].y + a[i].h : by1;
        }
        a[0] = (Box){bx0, by0, bx1 - bx0, by1 - by0};
        self->rects.n = 1;
    }
    return rc;
}

static int region_remove(Region *self, Box r) {
    Boxes kept = {0};
    if (cut_boxes(&self->rects, r, &kept) < 0) {
        PyMem_Free(kept.at); /* (out of memory: the region as it was) */
        return -1;
    }
    PyMem_Free(self->rects.at);
    self->rects = kept;
    return 0;
}

/* Each rectangle's part inside ``r`` (its intersection), onto ``out``. */
static int region_overlapping(const Region *self, Box r, Boxes *out) {
    long long x1 = r.x + r.w, y1 = r.y + r.h;
    for (Py_ssize_t i = 0; i < self->rects.n; i++) {
        Box h = self->rects.at[i];
        if (!(h.x < x1 && h.x + h.w > r.x && h.y < y1 && h.y + h.h > r.y))
            continue;
        long long ix0 = h.x >= r.x ? h.x : r.x, iy0 = h.y >= r.y ? h.y : r.y;
        long long ix1 = lmin(h.x + h.w, x1), iy1 = lmin(h.y + h.h, y1);
        Box part = {ix0, iy0, ix1 > ix0 ? ix1 - ix0 : 0, iy1 > iy0 ? iy1 - iy0 : 0};
        if (push(out, part) < 0)
            return -1;
    }
    return 0;
}

static PyObject *Region_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"rect_type", "limit", NULL};
    PyObject *rect_type;
    Py_ssize_t limit;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "On", names, &rect_type, &limit))
        return NULL;
    if (named_tuple_type(rect_type, "Region") < 0)
        return NULL;
    if (limit < 1 || limit > LIMIT_MAX) {
        PyErr_Format(PyExc_ValueError, "limit in [1, %d] is needed", LIMIT_MAX);
        return NULL;
    }
    Region *self = (Region *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->limit = limit;
    self->rect_type = Py_NewRef(rect_type);
    return (PyObject *)self;
}

static void Region_dealloc(Region *self) {
    PyMem_Free(self->rects.at);
    Py_XDECREF(self->rect_type);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *done(int rc) { return rc < 0 ? NULL : Py_NewRef(Py_None); }

static PyObject *Region_add(Region *self, PyObject *rect) {
    Box r;
    return as_box(rect, &r) < 0 ? NULL : done(region_add(self, r));
}

static PyObject *Region_remove(Region *self, PyObject *rect) {
    Box r;
    return as_box(rect, &r) < 0 ? NULL : done(region_remove(self, r));
}

static PyObject *Region_overlapping(Region *self, PyObject *rect) {
    Box r;
    Boxes parts = {0};
    if (as_box(rect, &r) < 0 || region_overlapping(self, r, &parts) < 0) {
        PyMem_Free(parts.at);
        return NULL;
    }
    PyObject *out = box_list(self->rect_type, parts.at, parts.n);
    PyMem_Free(parts.at);
    return out;
}

/* As PyRegion.move: the parts inside ``src``, shifted; the destination taken out; then
 * the shifted parts joined, in order. */
static PyObject *Region_move(Region *self, PyObject *args) {
    PyObject *rect;
    long long dx, dy;
    Box src;
    if (!PyArg_ParseTuple(args, "OLL", &rect, &dx, &dy) || as_box(rect, &src) < 0)
        return NULL;
    if (dx > COORD_MAX || dx < -COORD_MAX || dy > COORD_MAX || dy < -COORD_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a move's numbers must be within +-2**40");
        return NULL;
    }
    Boxes carried = {0};
    int rc = region_overlapping(self, src, &carried);
    if (rc == 0)
        rc = region_remove(self, (Box){src.x + dx, src.y + dy, src.w, src.h});
    for (Py_ssize_t i = 0; rc == 0 && i < carried.n; i++) {
        Box p = carried.at[i];
        rc = region_add(self, (Box){p.x + dx, p.y + dy, p.w, p.h});
    }
    PyMem_Free(carried.at);
    return done(rc);
}

static PyObject *Region_clear(Region *self, PyObject *unused) {
    self->rects.n = 0;
    return Py_NewRef(Py_None);
}

/* (copied out first: building the tuples allocates, which may run a collection) */
static PyObject *Region_rects(Region *self, void *unused) {
    Py_ssize_t n = self->rects.n;
    Box *copy = PyMem_Malloc(n ? (size_t)n * sizeof(Box) : 1);
    if (copy == NULL)
        return PyErr_NoMemory();
    if (n)
        memcpy(copy, self->rects.at, (size_t)n * sizeof(Box));
    PyObject *out = box_list(self->rect_type, copy, n);
    PyMem_Free(copy);
    return out;
}

static Py_ssize_t Region_len(Region *self) { return self->rects.n; }

static int Region_bool(Region *self) { return self->rects.n > 0; }

static PyMethodDef Region_methods[] = {
    {"add", (PyCFunction)Region_add, METH_O, "add(rect): its pixels joined."},
    {"remove", (PyCFunction)Region_remove, METH_O, "remove(rect): its pixels taken out."},
    {"overlapping", (PyCFunction)Region_overlapping, METH_O,
     "overlapping(rect) -> list of each rectangle's part inside rect."},
    {"move", (PyCFunction)Region_move, METH_VARARGS,
     "move(src, dx, dy): as a copy of src by (dx, dy) does to the pixels marked."},
    {"clear", (PyCFunction)Region_clear, METH_NOARGS, "clear(): no rectangles."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Region_getset[] = {
    {"rects", (getter)Region_rects, NULL, "the rectangles, in order (a new list)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods Region_sequence = {.sq_length = (lenfunc)Region_len};
static PyNumberMethods Region_number = {.nb_bool = (inquiry)Region_bool};

static PyTypeObject RegionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remoteapp.capture._copyregion.Region",
    .tp_basicsize = sizeof(Region),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Disjoint rectangles; past ``limit`` of them, their bounding box.",
    .tp_new = Region_new,
    .tp_dealloc = (destructor)Region_dealloc,
    .tp_methods = Region_methods,
    .tp_getset = Region_getset,
    .tp_as_sequence = &Region_sequence,
    .tp_as_number = &Region_number,
};

/* Each box of a sequence into ``out``. */
static int boxes_of(PyObject *seq, Boxes *out) {
    PyObject *fast = PySequence_Fast(seq, "boxes and cuts are sequences of rectangles");
    if (fast == NULL)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(fast); i++) {
        Box b; /* (held: a number's __index__ could change a list under us) */
        PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(fast, i));
        rc = as_box(item, &b) < 0 ? -1 : push(out, b);
        Py_DECREF(item);
    }
    Py_DECREF(fast);
    return rc;
}

static PyObject *cut_all(PyObject *module, PyObject *args) {
    PyObject *rect_type, *boxes_seq, *cuts_seq;
    Py_ssize_t most;
    if (!PyArg_ParseTuple(args, "OOOn:cut_all", &rect_type, &boxes_seq, &cuts_seq, &most) ||
        named_tuple_type(rect_type, "cut_all") < 0)
        return NULL;
    Boxes boxes = {0}, cuts = {0}, next = {0};
    PyObject *out = NULL;
    int rc = boxes_of(boxes_seq, &boxes);
    if (rc == 0)
        rc = boxes_of(cuts_seq, &cuts);
    for (Py_ssize_t i = 0; rc == 0 && i < cuts.n; i++) {
        next.n = 0;
        rc = cut_boxes(&boxes, cuts.at[i], &next);
        Boxes swap = boxes;
        boxes = next;
        next = swap;
        if (rc == 0 && boxes.n > most) {
            out = Py_NewRef(Py_None);
            break;
        }
    }
    if (rc == 0 && out == NULL)
        out = box_list(rect_type, boxes.at, boxes.n);
    PyMem_Free(boxes.at);
    PyMem_Free(cuts.at);
    PyMem_Free(next.at);
    return out;
}

static PyMethodDef module_methods[] = {
    {"cut_all", (PyCFunction)cut_all, METH_VARARGS,
     "cut_all(rect_type, boxes, cuts, most) -> list or None: the boxes less each cut in "
     "turn; None once more than most pieces are left."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_copyregion",
    "The copy model's regions in C (see copy_model and this module's source).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__copyregion(void) {
    if (PyType_Ready(&RegionType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Region", (PyObject *)&RegionType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
