/* The tile diff's core (static: included by _tilediff.c, and by _zsmall.c in the
 * _zstream extension for a typed key's update in one call; see _tilediff.c for what it
 * computes).  Needs Python.h (PyMem_RawRealloc: no GIL needed), stdint.h and
 * string.h first. */
#ifndef REMOTEAPP_TILEDIFF_CORE_H
#define REMOTEAPP_TILEDIFF_CORE_H

#define TILE 64
#define MAX_BOXES 4096
#define MAX_WIDTH 16384 /* update_format.MAX_DIMENSION (height too) */
#define MAX_TILES_ACROSS (MAX_WIDTH / TILE + 1)

typedef struct {
    int x0, y0, x1, y1; /* half-open */
} span;

typedef struct {
    span *items;
    size_t len, cap;
} spans;

static int push(spans *s, span v) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        span *items = PyMem_RawRealloc(s->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = v;
    return 0;
}

/* The tight box of what changed in one tile, or 0 if nothing did; its columns are
 * rounded out to whole units of ``unit`` pixels from the tile's left edge. */
static int tile_box(const uint32_t *cur, const uint32_t *ref, size_t stride, int x0,
                    int y0, int w, int h, int unit, span *out) {
    int top = -1, bottom = -1, left = w, right = 0;
    for (int r = 0; r < h; r++) {
        const uint32_t *a = cur + (size_t)(y0 + r) * stride + x0;
        const uint32_t *b = ref + (size_t)(y0 + r) * stride + x0;
        if (memcmp(a, b, (size_t)w * 4) == 0)
            continue;
        if (top < 0)
            top = r;
        bottom = r + 1;
        int i = 0;
        while (i < left && a[i] == b[i])
            i++;
        if (i < left)
            left = i;
        int j = w;
        while (j > right && a[j - 1] == b[j - 1])
            j--;
        if (j > right)
            right = j;
    }
    if (top < 0)
        return 0;
    out->x0 = x0 + left / unit * unit;
    out->x1 = x0 + (right + unit - 1) / unit * unit;
    out->y0 = y0 + top;
    out->y1 = y0 + bottom;
    return 1;
}

/* One box: its rectangles appended to ``done``. */
static int diff_box(const uint32_t *cur, const uint32_t *ref, size_t stride, int bx,
                    int by, int bw, int bh, spans *done) {
    int across = (bw + TILE - 1) / TILE;
    /* as TileDiff: a box of even width whose first pixels start 8-byte aligned in both
     * frames is compared as 64-bit pixel pairs, so its columns come in whole pairs */
    size_t first = (size_t)by * stride + (size_t)bx;
    int unit = bw % 2 == 0 && (uintptr_t)(cur + first) % 8 == 0 &&
                       (uintptr_t)(ref + first) % 8 == 0
                   ? 2
                   : 1;
    /* the spans open from the band above: tile run [t0, t1) -> its box */
    int open_t0[MAX_TILES_ACROSS], open_t1[MAX_TILES_ACROSS];
    span open_box[MAX_TILES_ACROSS];
    int open_n = 0;
    int new_t0[MAX_TILES_ACROSS], new_t1[MAX_TILES_ACROSS];
    span new_box[MAX_TILES_ACROSS];
    for (int y = by; y < by + bh; y += TILE) {
        int th = by + bh - y < TILE ? by + bh - y : TILE;
        int new_n = 0;
        int run_start = -1;
        span run = {0, 0, 0, 0};
        for (int t = 0; t <= across; t++) {
            span tb;
            int changed = 0;
            if (t < across) {
                int x = bx + t * TILE;
                int tw = bx + bw - x < TILE ? bx + bw - x : TILE;
                changed = tile_box(cur, ref, stride, x, y, tw, th, unit, &tb);
            }
            if (changed) {
                if (run_start < 0) {
                    run_start = t;
                    run = tb;
                } else {
                    if (tb.x0 < run.x0) run.x0 = tb.x0;
                    if (tb.y0 < run.y0) run.y0 = tb.y0;
                    if (tb.x1 > run.x1) run.x1 = tb.x1;
                    if (tb.y1 > run.y1) run.y1 = tb.y1;
                }
            } else if (run_start >= 0) {
                /* the run [run_start, t) ends: merge with the same run of the band above
                 * when that one reached this band's top and this one starts there */
                span box = run;
                for (int k = 0; k < open_n; k++) {
                    if (open_t0[k] == run_start && open_t1[k] == t) {
                        if (open_box[k].y1 == y && box.y0 == y) {
                            if (open_box[k].x0 < box.x0) box.x0 = open_box[k].x0;
                            if (open_box[k].x1 > box.x1) box.x1 = open_box[k].x1;
                            box.y0 = open_box[k].y0;
                        } else if (push(done, open_box[k]) < 0) {
                            return -1;
                        }
                        open_t0[k] = -1; /* taken */
                        break;
                    }
                }
                new_t0[new_n] = run_start;
                new_t1[new_n] = t;
                new_box[new_n] = box;
                new_n++;
                run_start = -1;
            }
        }
        for (int k = 0; k < open_n; k++)
            if (open_t0[k] >= 0 && push(done, open_box[k]) < 0)
                return -1;
        memcpy(open_t0, new_t0, sizeof(int) * (size_t)new_n);
        memcpy(open_t1, new_t1, sizeof(int) * (size_t)new_n);
        memcpy(open_box, new_box, sizeof(span) * (size_t)new_n);
        open_n = new_n;
    }
    for (int k = 0; k < open_n; k++)
        if (push(done, open_box[k]) < 0)
            return -1;
    return 0;
}

#endif
