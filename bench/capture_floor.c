/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The per-update floor in C (bench.capture_floor): the least CPU a process spends on one
 * damage-driven update with the customer's steps, and nothing else.  Per DamageNotify
 * (NonEmpty level, on the root): DamageSubtract into a region and FetchRegion (one round
 * trip), XShmGetImage of the damage's bounding box grown to 64-px tiles (one round trip),
 * compare it with the kept frame row by row and copy what changed, then, when something
 * did: one zstd flushed block in a 16 MiB window (level 1, as the customer), ChaCha20-
 * Poly1305 with a counter nonce (OpenSSL), and one length-prefixed record sent over TCP.
 *
 * argv: port [stage]; stage "fetch" stops each update after the fetch, "grab" after the
 * compare, "all" (the default) does everything.  Prints "ready" once set up, then runs
 * until it is killed.  Built by bench.capture_floor: cc -O2 ... -lxcb -lxcb-damage
 * -lxcb-xfixes -lxcb-shm -lzstd -lcrypto; and with -DFLOOR_LIBRARY -shared -fPIC as a
 * library whose capture_floor_main a Python process calls through ctypes (floor-c-hosted:
 * the same loop inside an interpreter that has the customer's modules loaded; floor-c-gil:
 * the same, holding the GIL but for its waits on the X server, capture_floor_gil).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>
#include <zstd.h>

#define TILE 64
enum stage { FETCH, GRAB, ALL };

typedef void *(*save_fn)(void);
typedef void (*restore_fn)(void *);
static save_fn gil_save; /* a host's PyEval_SaveThread and PyEval_RestoreThread, or none */
static restore_fn gil_restore;

/* floor-c-gil: called by the host before capture_floor_main, which it calls with the GIL
 * held (ctypes.PyDLL); the loop then lets the GIL go only while it waits on the X server,
 * as a capture loop in C inside the customer would. */
void capture_floor_gil(save_fn save, restore_fn restore) {
    gil_save = save;
    gil_restore = restore;
}

static void *unlocked(void) { return gil_save != NULL ? gil_save() : NULL; }

static void locked(void *state) {
    if (gil_restore != NULL) gil_restore(state);
}

static int fail(const char *what) {
    fprintf(stderr, "capture_floor: %s\n", what);
    return 1;
}

int capture_floor_main(int argc, char **argv) {
    if (argc < 2) return fail("usage: capture_floor port [fetch|grab|all]");
    enum stage stage = ALL;
    if (argc > 2 && strcmp(argv[2], "fetch") == 0) stage = FETCH;
    if (argc > 2 && strcmp(argv[2], "grab") == 0) stage = GRAB;

    xcb_connection_t *c = xcb_connect(NULL, NULL);
    if (xcb_connection_has_error(c)) return fail("cannot connect to the X server");
    xcb_screen_t *screen = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    const int width = screen->width_in_pixels, height = screen->height_in_pixels;
    const xcb_query_extension_reply_t *ext = xcb_get_extension_data(c, &xcb_damage_id);
    if (ext == NULL || !ext->present) return fail("no DAMAGE extension");
    free(xcb_damage_query_version_reply(c, xcb_damage_query_version(c, 1, 1), NULL));
    free(xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 2, 0), NULL));
    const uint8_t damage_notify = ext->first_event + XCB_DAMAGE_NOTIFY;
    xcb_damage_damage_t damage = xcb_generate_id(c);
    xcb_damage_create(c, damage, screen->root, XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
    xcb_xfixes_region_t region = xcb_generate_id(c);
    xcb_xfixes_create_region(c, region, 0, NULL);

    const size_t frame_bytes = (size_t)width * height * 4;
    int shmid = shmget(IPC_PRIVATE, frame_bytes, IPC_CREAT | 0600);
    if (shmid < 0) return fail("no shared memory");
    uint8_t *shm = shmat(shmid, NULL, 0);
    shmctl(shmid, IPC_RMID, NULL);  /* freed when both sides detach */
    xcb_shm_seg_t seg = xcb_generate_id(c);
    /* a round trip: the server has processed every request above once it answers */
    xcb_void_cookie_t attached = xcb_shm_attach_checked(c, seg, (uint32_t)shmid, 0);
    xcb_generic_error_t *attach = xcb_request_check(c, attached);
    if (attach != NULL) return fail("ShmAttach failed (no MIT-SHM?)");
    uint8_t *frame = calloc(frame_bytes, 1), *plain = malloc(frame_bytes);
    size_t out_cap = ZSTD_compressBound(frame_bytes);
    uint8_t *packed = malloc(out_cap), *record = malloc(out_cap + 20);
    if (shm == (void *)-1 || !frame || !plain || !packed || !record) return fail("out of memory");

    ZSTD_CCtx *zc = ZSTD_createCCtx();
    if (zc == NULL) return fail("no zstd context");
    ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(zc, ZSTD_c_windowLog, 24);
    uint8_t key[32] = {0}, nonce[12] = {0};
    uint64_t counter = 0;
    EVP_CIPHER_CTX *aead = EVP_CIPHER_CTX_new();
    if (aead == NULL || !EVP_EncryptInit_ex(aead, EVP_chacha20_poly1305(), NULL, key, nonce))
        return fail("no ChaCha20-Poly1305 in OpenSSL");

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(sock, (struct sockaddr *)&peer, sizeof peer) != 0) return fail("cannot connect");
    puts("ready");
    fflush(stdout);

    for (;;) {
        void *state = unlocked();
        xcb_generic_event_t *event = xcb_wait_for_event(c);
        locked(state);
        if (event == NULL) break;
        int ours = (event->response_type & 0x7f) == damage_notify;
        free(event);
        if (!ours) continue;
        xcb_damage_subtract(c, damage, XCB_NONE, region);
        state = unlocked();
        xcb_xfixes_fetch_region_reply_t *fetched =
            xcb_xfixes_fetch_region_reply(c, xcb_xfixes_fetch_region(c, region), NULL);
        locked(state);
        if (fetched == NULL) return fail("FetchRegion failed");
        int n = xcb_xfixes_fetch_region_rectangles_length(fetched);
        xcb_rectangle_t *r = xcb_xfixes_fetch_region_rectangles(fetched);
        int x0 = width, y0 = height, x1 = 0, y1 = 0;
        for (int i = 0; i < n; i++) {
            if (r[i].x < x0) x0 = r[i].x;
            if (r[i].y < y0) y0 = r[i].y;
            if (r[i].x + r[i].width > x1) x1 = r[i].x + r[i].width;
            if (r[i].y + r[i].height > y1) y1 = r[i].y + r[i].height;
        }
        free(fetched);
        if (n == 0 || stage == FETCH) continue;
        x0 = x0 < 0 ? 0 : x0 / TILE * TILE;
        y0 = y0 < 0 ? 0 : y0 / TILE * TILE;
        x1 = (x1 + TILE - 1) / TILE * TILE;
        y1 = (y1 + TILE - 1) / TILE * TILE;
        if (x1 > width) x1 = width;
        if (y1 > height) y1 = height;
        if (x1 <= x0 || y1 <= y0) continue;
        const int w = x1 - x0, h = y1 - y0;
        state = unlocked();
        xcb_shm_get_image_reply_t *got = xcb_shm_get_image_reply(
            c, xcb_shm_get_image(c, screen->root, (int16_t)x0, (int16_t)y0, (uint16_t)w,
                                 (uint16_t)h, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, seg, 0),
            NULL);
        locked(state);
        if (got == NULL) return fail("ShmGetImage failed");
        free(got);
        int changed = 0;
        size_t len = 0, row = (size_t)w * 4;
        for (int y = 0; y < h; y++) {
            const uint8_t *src = shm + y * row;
            uint8_t *dst = frame + ((size_t)(y0 + y) * width + x0) * 4;
            if (memcmp(src, dst, row) != 0) {
                changed = 1;
                memcpy(dst, src, row);
            }
            memcpy(plain + len, src, row);
            len += row;
        }
        if (!changed || stage == GRAB) continue;
        ZSTD_inBuffer in = {plain, len, 0};
        ZSTD_outBuffer out = {packed, out_cap, 0};
        for (size_t left = 1; left != 0;) { /* until the block is flushed whole */
            left = ZSTD_compressStream2(zc, &out, &in, ZSTD_e_flush);
            if (ZSTD_isError(left) || (left != 0 && out.pos == out.size)) return fail("zstd failed");
        }
        counter++;
        memcpy(nonce + 4, &counter, 8);
        int sealed = 0, tail = 0;
        if (!EVP_EncryptInit_ex(aead, NULL, NULL, NULL, nonce) ||
            !EVP_EncryptUpdate(aead, record + 4, &sealed, packed, (int)out.pos) ||
            !EVP_EncryptFinal_ex(aead, record + 4 + sealed, &tail) ||
            !EVP_CIPHER_CTX_ctrl(aead, EVP_CTRL_AEAD_GET_TAG, 16, record + 4 + sealed))
            return fail("sealing failed");
        uint32_t length = htonl((uint32_t)sealed + 16);
        memcpy(record, &length, 4);
        for (size_t done = 0, total = (size_t)sealed + 20; done < total;) {
            ssize_t sent = send(sock, record + done, total - done, 0);
            if (sent <= 0) return fail("the peer went away");
            done += (size_t)sent;
        }
    }
    return fail("the X connection closed");
}

#ifndef FLOOR_LIBRARY
int main(int argc, char **argv) { return capture_floor_main(argc, argv); }
#endif
