/* Times provcheck's deflate engine against the system zlib at one level on one file (best of N runs). */
#include "cdeflate.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t run_zlib(const unsigned char *in, size_t n, int level, unsigned char *out, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
    z.next_in = (unsigned char *)in, z.avail_in = (uInt)n, z.next_out = out, z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(2);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static size_t run_ours(const unsigned char *in, size_t n, int level, int mode, unsigned char *out) {
    cdeflate_stream *s = cdeflate_new(level, 8, mode, NULL);
    if (!s || cdeflate_write(s, in, n, 1) != CDEFLATE_OK) exit(2);
    size_t len = cdeflate_output_length(s);
    memcpy(out, cdeflate_output(s), len);
    cdeflate_free(s);
    return len;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [LEVEL] [RUNS]\n", argv[0]); return 2; }
    int level = argc > 2 ? atoi(argv[2]) : 9, runs = argc > 3 ? atoi(argv[3]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *in = malloc(n + 1);
    if (fread(in, 1, n, f) != n) return 2;
    fclose(f);
    size_t cap = n + n / 8 + 4096;
    unsigned char *a = malloc(cap), *b = malloc(cap);
    double tz = 1e9, ts = 1e9, ta = 1e9, tc = 1e9;
    size_t lz = 0, ls = 0, la = 0, lc = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now(); lz = run_zlib(in, n, level, a, cap); double t1 = now();
        ls = run_ours(in, n, level, CDEFLATE_HASH_STOCK, b); double t2 = now();
        if (ls != lz || memcmp(a, b, lz) != 0) { fprintf(stderr, "MISMATCH: stock output differs from zlib\n"); return 1; }
        la = run_ours(in, n, level, CDEFLATE_HASH_ANZAC, b); double t3 = now();
        lc = run_ours(in, n, level, CDEFLATE_HASH_CRC32C, b); double t4 = now();
        if (t1 - t0 < tz) tz = t1 - t0;
        if (t2 - t1 < ts) ts = t2 - t1;
        if (t3 - t2 < ta) ta = t3 - t2;
        if (t4 - t3 < tc) tc = t4 - t3;
    }
    printf("input %zu bytes, level %d, memLevel 8, best of %d runs (zlib %s)\n", n, level, runs, zlibVersion());
    printf("  system zlib      %8.3f s  %zu bytes\n", tz, lz);
    printf("  provcheck stock  %8.3f s  %zu bytes (identical)  ratio %.2fx\n", ts, ls, ts / tz);
    printf("  provcheck anzac  %8.3f s  %zu bytes              ratio %.2fx\n", ta, la, ta / tz);
    printf("  provcheck crc32c %8.3f s  %zu bytes              ratio %.2fx\n", tc, lc, tc / tz);
    double worst = ts > ta ? ts : ta;
    if (tc > worst) worst = tc;
    printf("worst ratio %.2fx (goal <= 2x): %s\n", worst / tz, worst / tz <= 2.0 ? "met" : "NOT met");
    return 0;
}
