/*
 * provcheck deflate engine: a deflate (RFC 1951) compressor that makes the same choices as zlib's
 * deflate_fast (levels 1-3) and deflate_slow (levels 4-9) so that its output is byte-identical.
 * Written for provcheck from RFC 1951 and zlib's documented algorithm (lazy matching with a hash
 * chain dictionary, a sliding 2 x 32 KiB window, Huffman trees with a length limit), plus the
 * three documented Chromium-zlib differences (insert hash, minimum hash size, pending-insert
 * condition in the window refill). See docs/deflate.md.
 */
#include "cdeflate.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* MARK: - Constants of the format and of the algorithm */

#define MIN_MATCH 3
#define MAX_MATCH 258
#define MIN_LOOKAHEAD (MAX_MATCH + MIN_MATCH + 1) /* bytes kept ahead so every match can be tried */
#define WIN_INIT MAX_MATCH                        /* bytes zeroed past the data (high-water mark) */
#define TOO_FAR 4096                              /* a 3-byte match farther than this is dropped */
#define WINDOW_BITS 15
#define WINDOW_PADDING 16                         /* zeroed bytes after the window */

#define LENGTH_CODES 29
#define LITERALS 256
#define L_CODES (LITERALS + 1 + LENGTH_CODES)
#define D_CODES 30
#define BL_CODES 19
#define HEAP_SIZE (2 * L_CODES + 1)
#define MAX_BITS 15
#define MAX_BL_BITS 7
#define END_BLOCK 256
#define REP_3_6 16
#define REPZ_3_10 17
#define REPZ_11_138 18

enum { NEED_MORE, BLOCK_DONE, FINISH_DONE };

static const int extra_lbits[LENGTH_CODES] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const int extra_dbits[D_CODES] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                         6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const int extra_blbits[BL_CODES] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};
/* Order in which the code length code lengths are sent (RFC 1951 3.2.7). */
static const uint8_t bl_order[BL_CODES] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Per-level tuning: good length, lazy length, nice length, chain length; levels 1-3 are greedy. */
typedef struct {
    uint16_t good, lazy, nice, chain;
} level_config;
static const level_config config_table[10] = {
    {0, 0, 0, 0},         {4, 4, 8, 4},        {4, 5, 16, 8},        {4, 6, 32, 32},
    {4, 4, 16, 16},       {8, 16, 32, 32},     {8, 16, 128, 128},    {8, 32, 128, 256},
    {32, 128, 258, 1024}, {32, 258, 258, 4096},
};

/* MARK: - Static tables (fixed Huffman codes, length and distance code maps) */

static uint16_t static_ltree_code[L_CODES + 2];
static uint8_t static_ltree_len[L_CODES + 2];
static uint16_t static_dtree_code[D_CODES];
static uint8_t static_dtree_len[D_CODES];
static uint8_t length_code[MAX_MATCH - MIN_MATCH + 1];
static int base_length[LENGTH_CODES];
static uint8_t dist_code_small[256]; /* distance-1 < 256 */
static uint8_t dist_code_large[256]; /* (distance-1) >> 7 */
static int base_dist[D_CODES];
static uint32_t crc32c_table[4][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static unsigned reverse_bits(unsigned code, int len) {
    unsigned res = 0;
    do {
        res |= code & 1;
        code >>= 1, res <<= 1;
    } while (--len > 0);
    return res >> 1;
}

/* Canonical Huffman codes (RFC 1951 3.2.2) from code lengths, bit-reversed for LSB-first output. */
static void canonical_codes(uint16_t *codes, const uint16_t *lens, int max_code, const uint16_t *bl_count) {
    uint16_t next_code[MAX_BITS + 1];
    unsigned code = 0;
    for (int bits = 1; bits <= MAX_BITS; bits++) {
        code = (code + bl_count[bits - 1]) << 1;
        next_code[bits] = (uint16_t)code;
    }
    for (int n = 0; n <= max_code; n++) {
        int len = lens[n];
        if (len == 0) continue;
        codes[n] = (uint16_t)reverse_bits(next_code[len]++, len);
    }
}

static void init_tables(void) {
    int length = 0, code;
    for (code = 0; code < LENGTH_CODES - 1; code++) {
        base_length[code] = length;
        for (int n = 0; n < (1 << extra_lbits[code]); n++) length_code[length++] = (uint8_t)code;
    }
    /* Length 258 has its own code (285), overriding the last slot of code 284. */
    length_code[length - 1] = (uint8_t)code;
    base_length[LENGTH_CODES - 1] = 0;

    int dist = 0;
    for (code = 0; code < 16; code++) {
        base_dist[code] = dist;
        for (int n = 0; n < (1 << extra_dbits[code]); n++) dist_code_small[dist++] = (uint8_t)code;
    }
    dist >>= 7;
    for (; code < D_CODES; code++) {
        base_dist[code] = dist << 7;
        for (int n = 0; n < (1 << (extra_dbits[code] - 7)); n++) dist_code_large[dist++] = (uint8_t)code;
    }
    /* dist_code_large is only indexed from 2 ((distance-1) >= 256); slots 0..1 are unused. */

    uint16_t lens[L_CODES + 2];
    uint16_t bl_count[MAX_BITS + 1] = {0};
    int n = 0;
    while (n <= 143) lens[n++] = 8, bl_count[8]++;
    while (n <= 255) lens[n++] = 9, bl_count[9]++;
    while (n <= 279) lens[n++] = 7, bl_count[7]++;
    while (n <= 287) lens[n++] = 8, bl_count[8]++;
    canonical_codes(static_ltree_code, lens, L_CODES + 1, bl_count);
    for (n = 0; n < L_CODES + 2; n++) static_ltree_len[n] = (uint8_t)lens[n];
    for (n = 0; n < D_CODES; n++) {
        static_dtree_len[n] = 5;
        static_dtree_code[n] = (uint16_t)reverse_bits((unsigned)n, 5);
    }

    /* CRC32C (Castagnoli), reflected polynomial 0x82F63B78, slicing by 4. */
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc32c_table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = crc32c_table[0][i];
        for (int t = 1; t < 4; t++) {
            c = crc32c_table[0][c & 0xff] ^ (c >> 8);
            crc32c_table[t][i] = c;
        }
    }
}

static inline unsigned distance_code(unsigned dist_minus_1) {
    return dist_minus_1 < 256 ? dist_code_small[dist_minus_1] : dist_code_large[dist_minus_1 >> 7];
}

/* MARK: - Stream state */

/* A Huffman tree under construction: leaves 0..elems-1, internal nodes after them. */
typedef struct {
    uint16_t freq[HEAP_SIZE];
    uint16_t code[HEAP_SIZE];
    uint16_t dad[HEAP_SIZE];
    uint16_t len[HEAP_SIZE];
    int max_code;           /* largest leaf with a non-zero frequency */
    const uint8_t *stat_len; /* fixed-code lengths for the static_len estimate, or NULL */
    const int *extra;
    int extra_base, elems, max_length;
} huff_tree;

struct cdeflate_stream {
    int level, mode, finished;

    /* window and dictionary */
    unsigned w_size, w_mask;
    unsigned long window_size;
    uint8_t *window;
    uint16_t *prev, *head;
    unsigned hash_bits, hash_size, hash_mask, hash_shift, ins_h;
    unsigned long high_water;

    /* matcher */
    long block_start;
    unsigned match_length, prev_match, match_available, strstart, match_start, lookahead, prev_length;
    unsigned max_chain_length, max_lazy_match, good_match, insert;
    int nice_match;

    /* block symbols */
    unsigned lit_bufsize, sym_next, sym_end;
    uint8_t *sym_lc;     /* literal, or match length - 3 */
    uint16_t *sym_dist;  /* 0 for a literal, else the distance */

    /* trees */
    huff_tree ltree, dtree, bltree;
    int heap[HEAP_SIZE];
    int heap_len, heap_max;
    uint8_t depth[HEAP_SIZE];
    uint16_t bl_count[MAX_BITS + 1];
    uint64_t opt_len, static_len;

    /* bit writer and output */
    uint64_t bitbuf;
    unsigned bitcount;
    uint8_t *out;
    size_t out_len, out_cap;
    int out_failed;

    /* input of the current call */
    const uint8_t *next_in;
    size_t avail_in;
};

/* MARK: - Output */

static int reserve_output(cdeflate_stream *s, size_t extra) {
    if (s->out_cap - s->out_len >= extra) return 1;
    size_t cap = s->out_cap ? s->out_cap : 4096;
    while (cap - s->out_len < extra) cap *= 2;
    uint8_t *p = realloc(s->out, cap);
    if (!p) {
        s->out_failed = 1;
        return 0;
    }
    s->out = p;
    s->out_cap = cap;
    return 1;
}

static inline void put_byte(cdeflate_stream *s, uint8_t b) { s->out[s->out_len++] = b; }

static inline void send_bits(cdeflate_stream *s, unsigned value, unsigned length) {
    s->bitbuf |= (uint64_t)value << s->bitcount;
    s->bitcount += length;
    if (s->bitcount >= 32) {
        uint8_t *o = s->out + s->out_len;
        o[0] = (uint8_t)s->bitbuf;
        o[1] = (uint8_t)(s->bitbuf >> 8);
        o[2] = (uint8_t)(s->bitbuf >> 16);
        o[3] = (uint8_t)(s->bitbuf >> 24);
        s->out_len += 4;
        s->bitbuf >>= 32;
        s->bitcount -= 32;
    }
}

/* Pads the bit stream to a byte boundary. */
static void align_to_byte(cdeflate_stream *s) {
    while (s->bitcount > 0) {
        put_byte(s, (uint8_t)s->bitbuf);
        s->bitbuf >>= 8;
        s->bitcount = s->bitcount > 8 ? s->bitcount - 8 : 0;
    }
    s->bitbuf = 0;
}

/* MARK: - Huffman trees */

static void init_block(cdeflate_stream *s) {
    memset(s->ltree.freq, 0, sizeof(uint16_t) * L_CODES);
    memset(s->dtree.freq, 0, sizeof(uint16_t) * D_CODES);
    memset(s->bltree.freq, 0, sizeof(uint16_t) * BL_CODES);
    s->ltree.freq[END_BLOCK] = 1;
    s->opt_len = s->static_len = 0;
    s->sym_next = 0;
}

/* n sorts before m: lower frequency, ties broken by lower depth. */
#define SMALLER(t, n, m) ((t)->freq[n] < (t)->freq[m] || ((t)->freq[n] == (t)->freq[m] && s->depth[n] <= s->depth[m]))

static void sift_down(cdeflate_stream *s, huff_tree *t, int k) {
    int v = s->heap[k];
    int j = k << 1;
    while (j <= s->heap_len) {
        if (j < s->heap_len && SMALLER(t, s->heap[j + 1], s->heap[j])) j++;
        if (SMALLER(t, v, s->heap[j])) break;
        s->heap[k] = s->heap[j];
        k = j;
        j <<= 1;
    }
    s->heap[k] = v;
}

/* Code lengths from the tree shape, limited to max_length, and the block cost estimates. */
static void assign_lengths(cdeflate_stream *s, huff_tree *t) {
    int max_code = t->max_code, max_length = t->max_length;
    int h, n, m, bits, overflow = 0;

    for (bits = 0; bits <= MAX_BITS; bits++) s->bl_count[bits] = 0;
    t->len[s->heap[s->heap_max]] = 0; /* root */

    for (h = s->heap_max + 1; h < HEAP_SIZE; h++) {
        n = s->heap[h];
        bits = t->len[t->dad[n]] + 1;
        if (bits > max_length) bits = max_length, overflow++;
        t->len[n] = (uint16_t)bits;
        if (n > max_code) continue; /* internal node */
        s->bl_count[bits]++;
        int xbits = n >= t->extra_base ? t->extra[n - t->extra_base] : 0;
        uint64_t f = t->freq[n];
        s->opt_len += f * (uint64_t)(bits + xbits);
        if (t->stat_len) s->static_len += f * (uint64_t)(t->stat_len[n] + xbits);
    }
    if (overflow == 0) return;

    /* Too-long codes: move leaves down until the Kraft sum fits, two overflow leaves at a time. */
    do {
        bits = max_length - 1;
        while (s->bl_count[bits] == 0) bits--;
        s->bl_count[bits]--;
        s->bl_count[bits + 1] += 2;
        s->bl_count[max_length]--;
        overflow -= 2;
    } while (overflow > 0);

    /* Reassign the lengths to the leaves in order of increasing frequency. */
    for (bits = max_length; bits != 0; bits--) {
        n = s->bl_count[bits];
        while (n != 0) {
            m = s->heap[--h];
            if (m > max_code) continue;
            if (t->len[m] != (unsigned)bits) {
                s->opt_len += ((uint64_t)bits - t->len[m]) * t->freq[m];
                t->len[m] = (uint16_t)bits;
            }
            n--;
        }
    }
}

static void build_tree(cdeflate_stream *s, huff_tree *t) {
    int elems = t->elems, n, m, max_code = -1, node;
    s->heap_len = 0, s->heap_max = HEAP_SIZE;

    for (n = 0; n < elems; n++) {
        if (t->freq[n] != 0) {
            s->heap[++s->heap_len] = max_code = n;
            s->depth[n] = 0;
        } else {
            t->len[n] = 0;
        }
    }
    /* At least two codes, so that every code has at least one bit. */
    while (s->heap_len < 2) {
        node = s->heap[++s->heap_len] = (max_code < 2 ? ++max_code : 0);
        t->freq[node] = 1;
        s->depth[node] = 0;
        s->opt_len--;
        if (t->stat_len) s->static_len -= t->stat_len[node];
    }
    t->max_code = max_code;

    for (n = s->heap_len / 2; n >= 1; n--) sift_down(s, t, n);

    node = elems;
    do {
        n = s->heap[1];
        s->heap[1] = s->heap[s->heap_len--];
        sift_down(s, t, 1);
        m = s->heap[1];
        s->heap[--s->heap_max] = n;
        s->heap[--s->heap_max] = m;
        t->freq[node] = (uint16_t)(t->freq[n] + t->freq[m]);
        s->depth[node] = (uint8_t)((s->depth[n] >= s->depth[m] ? s->depth[n] : s->depth[m]) + 1);
        t->dad[n] = t->dad[m] = (uint16_t)node;
        s->heap[1] = node++;
        sift_down(s, t, 1);
    } while (s->heap_len >= 2);
    s->heap[--s->heap_max] = s->heap[1];

    assign_lengths(s, t);
    canonical_codes(t->code, t->len, max_code, s->bl_count);
}

/* Counts the code-length symbols (with run-length codes 16/17/18) that describe a tree. */
static void count_tree_lengths(cdeflate_stream *s, huff_tree *t, int max_code) {
    int prevlen = -1, curlen, nextlen = t->len[0], count = 0, max_count = 7, min_count = 4;
    uint16_t *blf = s->bltree.freq;
    if (nextlen == 0) max_count = 138, min_count = 3;
    t->len[max_code + 1] = 0xffff; /* guard */
    for (int n = 0; n <= max_code; n++) {
        curlen = nextlen;
        nextlen = t->len[n + 1];
        if (++count < max_count && curlen == nextlen) continue;
        if (count < min_count) blf[curlen] = (uint16_t)(blf[curlen] + count);
        else if (curlen != 0) {
            if (curlen != prevlen) blf[curlen]++;
            blf[REP_3_6]++;
        } else if (count <= 10) blf[REPZ_3_10]++;
        else blf[REPZ_11_138]++;
        count = 0;
        prevlen = curlen;
        if (nextlen == 0) max_count = 138, min_count = 3;
        else if (curlen == nextlen) max_count = 6, min_count = 3;
        else max_count = 7, min_count = 4;
    }
}

#define SEND_CODE(s, c, t) send_bits((s), (t)->code[c], (t)->len[c])

static void send_tree_lengths(cdeflate_stream *s, huff_tree *t, int max_code) {
    int prevlen = -1, curlen, nextlen = t->len[0], count = 0, max_count = 7, min_count = 4;
    huff_tree *bl = &s->bltree;
    if (nextlen == 0) max_count = 138, min_count = 3;
    for (int n = 0; n <= max_code; n++) {
        curlen = nextlen;
        nextlen = t->len[n + 1];
        if (++count < max_count && curlen == nextlen) continue;
        if (count < min_count) {
            do { SEND_CODE(s, curlen, bl); } while (--count != 0);
        } else if (curlen != 0) {
            if (curlen != prevlen) {
                SEND_CODE(s, curlen, bl);
                count--;
            }
            SEND_CODE(s, REP_3_6, bl);
            send_bits(s, (unsigned)(count - 3), 2);
        } else if (count <= 10) {
            SEND_CODE(s, REPZ_3_10, bl);
            send_bits(s, (unsigned)(count - 3), 3);
        } else {
            SEND_CODE(s, REPZ_11_138, bl);
            send_bits(s, (unsigned)(count - 11), 7);
        }
        count = 0;
        prevlen = curlen;
        if (nextlen == 0) max_count = 138, min_count = 3;
        else if (curlen == nextlen) max_count = 6, min_count = 3;
        else max_count = 7, min_count = 4;
    }
}

static int build_bl_tree(cdeflate_stream *s) {
    int max_blindex;
    count_tree_lengths(s, &s->ltree, s->ltree.max_code);
    count_tree_lengths(s, &s->dtree, s->dtree.max_code);
    build_tree(s, &s->bltree);
    for (max_blindex = BL_CODES - 1; max_blindex >= 3; max_blindex--) {
        if (s->bltree.len[bl_order[max_blindex]] != 0) break;
    }
    s->opt_len += 3 * ((uint64_t)max_blindex + 1) + 5 + 5 + 4;
    return max_blindex;
}

static void compress_symbols(cdeflate_stream *s, const uint16_t *lcode, const uint8_t *llen,
                             const uint16_t *dcode, const uint8_t *dlen) {
    for (unsigned i = 0; i < s->sym_next; i++) {
        unsigned dist = s->sym_dist[i], lc = s->sym_lc[i];
        if (dist == 0) {
            send_bits(s, lcode[lc], llen[lc]);
        } else {
            unsigned code = length_code[lc];
            send_bits(s, lcode[code + LITERALS + 1], llen[code + LITERALS + 1]);
            int extra = extra_lbits[code];
            if (extra != 0) send_bits(s, lc - (unsigned)base_length[code], (unsigned)extra);
            dist--;
            code = distance_code(dist);
            send_bits(s, dcode[code], dlen[code]);
            extra = extra_dbits[code];
            if (extra != 0) send_bits(s, dist - (unsigned)base_dist[code], (unsigned)extra);
        }
    }
    send_bits(s, lcode[END_BLOCK], llen[END_BLOCK]);
}

static void stored_block(cdeflate_stream *s, const uint8_t *buf, unsigned long stored_len, int last) {
    send_bits(s, (unsigned)last, 3); /* block type 00 */
    align_to_byte(s);
    put_byte(s, (uint8_t)stored_len);
    put_byte(s, (uint8_t)(stored_len >> 8));
    put_byte(s, (uint8_t)~stored_len);
    put_byte(s, (uint8_t)(~stored_len >> 8));
    if (stored_len) memcpy(s->out + s->out_len, buf, stored_len);
    s->out_len += stored_len;
}

/* Emits the current block as stored, fixed or dynamic, whichever zlib's estimate says is smallest. */
static void flush_block(cdeflate_stream *s, int last) {
    const uint8_t *buf = s->block_start >= 0L ? s->window + (unsigned)s->block_start : NULL;
    unsigned long stored_len = (unsigned long)((long)s->strstart - s->block_start);
    if (!reserve_output(s, (size_t)s->sym_next * 8 + stored_len + 2048)) {
        init_block(s); /* out of memory: drop the block, the stream reports the failure */
        s->block_start = (long)s->strstart;
        return;
    }

    build_tree(s, &s->ltree);
    build_tree(s, &s->dtree);
    int max_blindex = build_bl_tree(s);
    uint64_t opt_lenb = (s->opt_len + 3 + 7) >> 3;
    uint64_t static_lenb = (s->static_len + 3 + 7) >> 3;
    if (static_lenb <= opt_lenb) opt_lenb = static_lenb;

    if (stored_len + 4 <= opt_lenb && buf != NULL) {
        stored_block(s, buf, stored_len, last);
    } else if (static_lenb == opt_lenb) {
        send_bits(s, (1u << 1) + (unsigned)last, 3);
        compress_symbols(s, static_ltree_code, static_ltree_len, static_dtree_code, static_dtree_len);
    } else {
        int lcodes = s->ltree.max_code + 1, dcodes = s->dtree.max_code + 1, blcodes = max_blindex + 1;
        send_bits(s, (2u << 1) + (unsigned)last, 3);
        send_bits(s, (unsigned)(lcodes - 257), 5);
        send_bits(s, (unsigned)(dcodes - 1), 5);
        send_bits(s, (unsigned)(blcodes - 4), 4);
        for (int rank = 0; rank < blcodes; rank++) send_bits(s, s->bltree.len[bl_order[rank]], 3);
        send_tree_lengths(s, &s->ltree, lcodes - 1);
        send_tree_lengths(s, &s->dtree, dcodes - 1);
        uint8_t llen[L_CODES], dlen[D_CODES];
        for (int i = 0; i < L_CODES; i++) llen[i] = (uint8_t)s->ltree.len[i];
        for (int i = 0; i < D_CODES; i++) dlen[i] = (uint8_t)s->dtree.len[i];
        compress_symbols(s, s->ltree.code, llen, s->dtree.code, dlen);
    }
    init_block(s);
    if (last) align_to_byte(s);
    s->block_start = (long)s->strstart;
}

static inline int tally_literal(cdeflate_stream *s, unsigned c) {
    s->sym_dist[s->sym_next] = 0;
    s->sym_lc[s->sym_next++] = (uint8_t)c;
    s->ltree.freq[c]++;
    return s->sym_next == s->sym_end;
}

static inline int tally_match(cdeflate_stream *s, unsigned distance, unsigned length_minus_3) {
    s->sym_dist[s->sym_next] = (uint16_t)distance;
    s->sym_lc[s->sym_next++] = (uint8_t)length_minus_3;
    s->ltree.freq[length_code[length_minus_3] + LITERALS + 1]++;
    s->dtree.freq[distance_code(distance - 1)]++;
    return s->sym_next == s->sym_end;
}

/* MARK: - Dictionary */

static inline uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Inserts the string at `str` into its hash chain; returns the previous head of that chain. */
static inline unsigned insert_string(cdeflate_stream *s, unsigned str) {
    unsigned h;
    switch (s->mode) {
    case CDEFLATE_HASH_ANZAC: {
        uint32_t v = load_le32(s->window + str);
        h = s->ins_h = ((v * 66521u + 66521u) >> 16) & s->hash_mask;
        break;
    }
    case CDEFLATE_HASH_CRC32C: {
        uint32_t v = load_le32(s->window + str);
        if (s->level >= 6) v &= 0xFFFFFFu;
        uint32_t c = crc32c_table[3][v & 0xff] ^ crc32c_table[2][(v >> 8) & 0xff] ^
                     crc32c_table[1][(v >> 16) & 0xff] ^ crc32c_table[0][v >> 24];
        h = c & s->hash_mask;
        break;
    }
    default:
        h = s->ins_h = ((s->ins_h << s->hash_shift) ^ s->window[str + MIN_MATCH - 1]) & s->hash_mask;
        break;
    }
    unsigned head = s->head[h];
    s->prev[str & s->w_mask] = (uint16_t)head;
    s->head[h] = (uint16_t)str;
    return head;
}

static inline void rolling_update(cdeflate_stream *s, unsigned c) {
    s->ins_h = ((s->ins_h << s->hash_shift) ^ c) & s->hash_mask;
}

static void slide_hash(cdeflate_stream *s) {
    unsigned wsize = s->w_size;
    for (unsigned n = 0; n < s->hash_size; n++) {
        unsigned m = s->head[n];
        s->head[n] = (uint16_t)(m >= wsize ? m - wsize : 0);
    }
    for (unsigned n = 0; n < wsize; n++) {
        unsigned m = s->prev[n];
        s->prev[n] = (uint16_t)(m >= wsize ? m - wsize : 0);
    }
}

#define MAX_DIST(s) ((s)->w_size - MIN_LOOKAHEAD)

/* Refills the window from the input, sliding it down by w_size when the upper half is reached. */
static void fill_window(cdeflate_stream *s) {
    unsigned wsize = s->w_size;
    do {
        unsigned more = (unsigned)(s->window_size - (unsigned long)s->lookahead - (unsigned long)s->strstart);
        if (s->strstart >= wsize + MAX_DIST(s)) {
            memcpy(s->window, s->window + wsize, (size_t)(wsize - more));
            s->match_start -= wsize;
            s->strstart -= wsize;
            s->block_start -= (long)wsize;
            if (s->insert > s->strstart) s->insert = s->strstart;
            slide_hash(s);
            more += wsize;
        }
        if (s->avail_in == 0) break;

        unsigned n = (unsigned)(s->avail_in < more ? s->avail_in : more);
        memcpy(s->window + s->strstart + s->lookahead, s->next_in, n);
        s->next_in += n;
        s->avail_in -= n;
        s->lookahead += n;

        /* Insert the strings left over from the previous call, now that their bytes are here. */
        if (s->mode == CDEFLATE_HASH_STOCK) {
            if (s->lookahead + s->insert >= MIN_MATCH) {
                unsigned str = s->strstart - s->insert;
                s->ins_h = s->window[str];
                rolling_update(s, s->window[str + 1]);
                while (s->insert) {
                    rolling_update(s, s->window[str + MIN_MATCH - 1]);
                    s->prev[str & s->w_mask] = s->head[s->ins_h];
                    s->head[s->ins_h] = (uint16_t)str;
                    str++;
                    s->insert--;
                    if (s->lookahead + s->insert < MIN_MATCH) break;
                }
            }
        } else if (s->lookahead + s->insert > MIN_MATCH) {
            unsigned str = s->strstart - s->insert;
            while (s->insert) {
                insert_string(s, str);
                str++;
                s->insert--;
                if (s->lookahead + s->insert <= MIN_MATCH) break;
            }
        }
    } while (s->lookahead < MIN_LOOKAHEAD && s->avail_in != 0);

    /* Zero WIN_INIT bytes past the data the first time the window grows there (high-water mark). */
    if (s->high_water < s->window_size) {
        unsigned long curr = s->strstart + (unsigned long)s->lookahead, init;
        if (s->high_water < curr) {
            init = s->window_size - curr;
            if (init > WIN_INIT) init = WIN_INIT;
            memset(s->window + curr, 0, (size_t)init);
            s->high_water = curr + init;
        } else if (s->high_water < curr + WIN_INIT) {
            init = curr + WIN_INIT - s->high_water;
            if (init > s->window_size - s->high_water) init = s->window_size - s->high_water;
            memset(s->window + s->high_water, 0, (size_t)init);
            s->high_water += init;
        }
    }
}

/* Index of the first differing byte of a and b in [3, 258), or 258 (byte 2 is not compared). */
static inline unsigned match_length_from_3(const uint8_t *a, const uint8_t *b) {
    unsigned i = 3;
    while (i < MAX_MATCH) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        uint64_t d = x ^ y;
        if (d != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            i += (unsigned)__builtin_ctzll(d) >> 3;
#else
            while (a[i] == b[i]) i++;
#endif
            return i < MAX_MATCH ? i : MAX_MATCH;
        }
        i += 8;
    }
    return MAX_MATCH;
}

/* Walks the hash chain from cur_match for the longest match at strstart, as zlib's longest_match. */
static unsigned longest_match(cdeflate_stream *s, unsigned cur_match) {
    unsigned chain_length = s->max_chain_length;
    const uint8_t *window = s->window;
    const uint8_t *scan = window + s->strstart;
    int best_len = (int)s->prev_length;
    int nice_match = s->nice_match;
    unsigned limit = s->strstart > MAX_DIST(s) ? s->strstart - MAX_DIST(s) : 0;
    const uint16_t *prev = s->prev;
    unsigned wmask = s->w_mask;
    uint8_t scan_end1 = scan[best_len - 1];
    uint8_t scan_end = scan[best_len];
    uint8_t scan0 = scan[0], scan1 = scan[1];

    if (s->prev_length >= s->good_match) chain_length >>= 2;
    if ((unsigned)nice_match > s->lookahead) nice_match = (int)s->lookahead;

    do {
        const uint8_t *match = window + cur_match;
        if (match[best_len] != scan_end || match[best_len - 1] != scan_end1 || match[0] != scan0 ||
            match[1] != scan1)
            continue;
        int len = (int)match_length_from_3(scan, match);
        if (len > best_len) {
            s->match_start = cur_match;
            best_len = len;
            if (len >= nice_match) break;
            scan_end1 = scan[best_len - 1];
            scan_end = scan[best_len];
        }
    } while ((cur_match = prev[cur_match & wmask]) > limit && --chain_length != 0);

    if ((unsigned)best_len <= s->lookahead) return (unsigned)best_len;
    return s->lookahead;
}

/* MARK: - Compression loops */

/* Greedy matching (levels 1-3). */
static int deflate_fast(cdeflate_stream *s, int finish) {
    unsigned hash_head;
    int bflush;
    for (;;) {
        if (s->lookahead < MIN_LOOKAHEAD) {
            fill_window(s);
            if (s->lookahead < MIN_LOOKAHEAD && !finish) return NEED_MORE;
            if (s->lookahead == 0) break;
        }
        hash_head = 0;
        if (s->lookahead >= MIN_MATCH) hash_head = insert_string(s, s->strstart);

        if (hash_head != 0 && s->strstart - hash_head <= MAX_DIST(s)) {
            s->match_length = longest_match(s, hash_head);
        }
        if (s->match_length >= MIN_MATCH) {
            bflush = tally_match(s, s->strstart - s->match_start, s->match_length - MIN_MATCH);
            s->lookahead -= s->match_length;
            if (s->match_length <= s->max_lazy_match && s->lookahead >= MIN_MATCH) {
                s->match_length--;
                do {
                    s->strstart++;
                    insert_string(s, s->strstart);
                } while (--s->match_length != 0);
                s->strstart++;
            } else {
                s->strstart += s->match_length;
                s->match_length = 0;
                if (s->mode == CDEFLATE_HASH_STOCK) {
                    s->ins_h = s->window[s->strstart];
                    rolling_update(s, s->window[s->strstart + 1]);
                }
            }
        } else {
            bflush = tally_literal(s, s->window[s->strstart]);
            s->lookahead--;
            s->strstart++;
        }
        if (bflush) flush_block(s, 0);
    }
    s->insert = s->strstart < MIN_MATCH - 1 ? s->strstart : MIN_MATCH - 1;
    flush_block(s, 1);
    return FINISH_DONE;
}

/* Lazy matching (levels 4-9): a match is emitted only if the next position has no longer one. */
static int deflate_slow(cdeflate_stream *s, int finish) {
    unsigned hash_head;
    int bflush;
    for (;;) {
        if (s->lookahead < MIN_LOOKAHEAD) {
            fill_window(s);
            if (s->lookahead < MIN_LOOKAHEAD && !finish) return NEED_MORE;
            if (s->lookahead == 0) break;
        }
        hash_head = 0;
        if (s->lookahead >= MIN_MATCH) hash_head = insert_string(s, s->strstart);

        s->prev_length = s->match_length, s->prev_match = s->match_start;
        s->match_length = MIN_MATCH - 1;

        if (hash_head != 0 && s->prev_length < s->max_lazy_match && s->strstart - hash_head <= MAX_DIST(s)) {
            s->match_length = longest_match(s, hash_head);
            if (s->match_length <= 5 && s->match_length == MIN_MATCH && s->strstart - s->match_start > TOO_FAR) {
                s->match_length = MIN_MATCH - 1;
            }
        }
        if (s->prev_length >= MIN_MATCH && s->match_length <= s->prev_length) {
            unsigned max_insert = s->strstart + s->lookahead - MIN_MATCH;
            bflush = tally_match(s, s->strstart - 1 - s->prev_match, s->prev_length - MIN_MATCH);
            s->lookahead -= s->prev_length - 1;
            s->prev_length -= 2;
            do {
                if (++s->strstart <= max_insert) insert_string(s, s->strstart);
            } while (--s->prev_length != 0);
            s->match_available = 0;
            s->match_length = MIN_MATCH - 1;
            s->strstart++;
            if (bflush) flush_block(s, 0);
        } else if (s->match_available) {
            bflush = tally_literal(s, s->window[s->strstart - 1]);
            if (bflush) flush_block(s, 0);
            s->strstart++;
            s->lookahead--;
        } else {
            s->match_available = 1;
            s->strstart++;
            s->lookahead--;
        }
    }
    if (s->match_available) {
        tally_literal(s, s->window[s->strstart - 1]);
        s->match_available = 0;
    }
    s->insert = s->strstart < MIN_MATCH - 1 ? s->strstart : MIN_MATCH - 1;
    flush_block(s, 1);
    return FINISH_DONE;
}

/* MARK: - Public API */

cdeflate_stream *cdeflate_new(int level, int mem_level, int hash_mode, int *error) {
    if (error) *error = CDEFLATE_OK;
    if (level < 1 || level > 9 || mem_level < 1 || mem_level > 9 || hash_mode < CDEFLATE_HASH_STOCK ||
        hash_mode > CDEFLATE_HASH_ANZAC) {
        if (error) *error = CDEFLATE_ERR_PARAM;
        return NULL;
    }
    pthread_once(&tables_once, init_tables);
    cdeflate_stream *s = calloc(1, sizeof(*s));
    if (!s) goto nomem;
    s->level = level;
    s->mode = hash_mode;
    s->w_size = 1u << WINDOW_BITS;
    s->w_mask = s->w_size - 1;
    s->window_size = 2ul * s->w_size;
    s->hash_bits = (unsigned)mem_level + 7;
    /* Chromium: the ANZAC build raises the hash to at least 15 bits; the CRC32C build (Node 12.17 -
     * 18.18, measured on Node 18.4.0) uses exactly 15 bits, also at memLevel 9. */
    if (hash_mode == CDEFLATE_HASH_ANZAC && s->hash_bits < 15) s->hash_bits = 15;
    if (hash_mode == CDEFLATE_HASH_CRC32C) s->hash_bits = 15;
    s->hash_size = 1u << s->hash_bits;
    s->hash_mask = s->hash_size - 1;
    s->hash_shift = (s->hash_bits + MIN_MATCH - 1) / MIN_MATCH;
    s->lit_bufsize = 1u << (mem_level + 6);
    s->sym_end = s->lit_bufsize - 1;

    s->window = calloc(s->window_size + WINDOW_PADDING, 1);
    s->prev = calloc(s->w_size, sizeof(uint16_t));
    s->head = calloc(s->hash_size, sizeof(uint16_t));
    s->sym_lc = malloc(s->lit_bufsize);
    s->sym_dist = malloc(s->lit_bufsize * sizeof(uint16_t));
    if (!s->window || !s->prev || !s->head || !s->sym_lc || !s->sym_dist) goto nomem;

    s->ltree.stat_len = static_ltree_len;
    s->ltree.extra = extra_lbits;
    s->ltree.extra_base = LITERALS + 1;
    s->ltree.elems = L_CODES;
    s->ltree.max_length = MAX_BITS;
    s->dtree.stat_len = static_dtree_len;
    s->dtree.extra = extra_dbits;
    s->dtree.extra_base = 0;
    s->dtree.elems = D_CODES;
    s->dtree.max_length = MAX_BITS;
    s->bltree.stat_len = NULL;
    s->bltree.extra = extra_blbits;
    s->bltree.extra_base = 0;
    s->bltree.elems = BL_CODES;
    s->bltree.max_length = MAX_BL_BITS;
    init_block(s);

    const level_config *c = &config_table[level];
    s->max_lazy_match = c->lazy;
    s->good_match = c->good;
    s->nice_match = c->nice;
    s->max_chain_length = c->chain;
    s->match_length = s->prev_length = MIN_MATCH - 1;
    return s;
nomem:
    cdeflate_free(s);
    if (error) *error = CDEFLATE_ERR_MEMORY;
    return NULL;
}

void cdeflate_free(cdeflate_stream *s) {
    if (!s) return;
    free(s->window);
    free(s->prev);
    free(s->head);
    free(s->sym_lc);
    free(s->sym_dist);
    free(s->out);
    free(s);
}

int cdeflate_write(cdeflate_stream *s, const uint8_t *input, size_t length, int finish) {
    if (s->finished) return length == 0 ? CDEFLATE_OK : CDEFLATE_ERR_FINISHED;
    s->next_in = input;
    s->avail_in = length;
    if (s->avail_in != 0 || s->lookahead != 0 || finish) {
        int state = s->level <= 3 ? deflate_fast(s, finish) : deflate_slow(s, finish);
        if (state == FINISH_DONE) s->finished = 1;
    }
    s->next_in = NULL;
    s->avail_in = 0;
    return s->out_failed ? CDEFLATE_ERR_MEMORY : CDEFLATE_OK;
}

const uint8_t *cdeflate_output(const cdeflate_stream *s) { return s->out; }
size_t cdeflate_output_length(const cdeflate_stream *s) { return s->out_len; }
void cdeflate_output_clear(cdeflate_stream *s) { s->out_len = 0; }
int cdeflate_finished(const cdeflate_stream *s) { return s->finished; }
