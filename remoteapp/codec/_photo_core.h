/* regions.photo_like in C, the core (static: included by _regions.c, which exports it
 * for the tests, and by _zsmall.c, which measures a typed key's due tiles with it so the
 * key needs no Python detour).  The same decision, read off the same sample:
 *
 * every other pixel of every other row of the block, as 32-bit words; the share of
 * equal neighbours within the sample's rows (along the copy as one run, less the pairs
 * that straddle two rows: the same count) above ``equal_max``: not photo-like; else
 * photo-like if the first 4096 sample words hold at least min(colours_min, n / 4)
 * distinct colours (n: those words).  A sample under 16 words: not photo-like.
 *
 * Needs stdint.h and string.h first. */
#ifndef REMOTEAPP_PHOTO_CORE_H
#define REMOTEAPP_PHOTO_CORE_H

#define PHOTO_SAMPLE_MAX 4096 /* regions.photo_like's run[:4096] */
#define PHOTO_SET 2048        /* a power of two over 2 * PHOTO_SAMPLE_MAX / 4 */

/* Whether the w x h block at (x, y) of ``frame`` (rows of ``stride`` words) is
 * photo-like. */
static int photo_block(const uint32_t *frame, size_t stride, long long x, long long y,
                       long long w, long long h, double equal_max, long long colours_min) {
    long long rows = (h + 1) / 2, cols = (w + 1) / 2;
    if (rows * cols < 16)
        return 0;
    long long same = 0;
    for (long long r = 0; r < rows; r++) {
        const uint32_t *p = frame + (size_t)(y + 2 * r) * stride + (size_t)x;
        for (long long c = 1; c < cols; c++)
            same += p[2 * c] == p[2 * c - 2];
    }
    long long pairs = rows * (cols - 1);
    if ((double)same / (double)(pairs > 1 ? pairs : 1) > equal_max)
        return 0;
    long long n = rows * cols < PHOTO_SAMPLE_MAX ? rows * cols : PHOTO_SAMPLE_MAX;
    long long need = colours_min < n / 4 ? colours_min : n / 4;
    if (need <= 1)
        return 1; /* (a sample has one colour at least) */
    /* Count distinct colours until ``need`` (a sort would count them all): an
     * open-addressed set, at most half full. */
    uint32_t keys[PHOTO_SET];
    unsigned char used[PHOTO_SET];
    size_t size = 16;
    while (size < 2 * (size_t)need)
        size *= 2;
    memset(used, 0, size);
    long long colours = 0, taken = 0;
    for (long long r = 0; r < rows && taken < n; r++) {
        const uint32_t *p = frame + (size_t)(y + 2 * r) * stride + (size_t)x;
        for (long long c = 0; c < cols && taken < n; c++, taken++) {
            uint32_t v = p[2 * c];
            size_t i = (size_t)((v * 2654435761u) >> 16) & (size - 1);
            while (used[i] && keys[i] != v)
                i = (i + 1) & (size - 1);
            if (used[i])
                continue;
            used[i] = 1;
            keys[i] = v;
            if (++colours >= need)
                return 1;
        }
    }
    return 0;
}

#endif
