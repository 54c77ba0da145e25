#ifndef PROVCHECK_CDEFLATE_H
#define PROVCHECK_CDEFLATE_H
/*
 * provcheck's own deflate engine (RFC 1951), written for this project.
 *
 * It reproduces, byte for byte, the raw deflate stream that zlib's deflate() produces for
 * windowBits 15, the default strategy, level 1-9 and memLevel 1-9, in three hash modes:
 *   CDEFLATE_HASH_STOCK   zlib's rolling hash (madler/zlib 1.2.12 - 1.3.x, system zlib);
 *   CDEFLATE_HASH_CRC32C  Chromium zlib with the CRC32C insert hash (Node 12.17 - 18.18 on x86-64);
 *   CDEFLATE_HASH_ANZAC   Chromium zlib with the multiplicative insert hash (Node >= 20.10).
 * Input may be given in any number of chunks; the output equals one zlib deflate() call per
 * chunk with Z_NO_FLUSH, then Z_FINISH with the last chunk.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Hash modes: how a string is inserted into the hash chains. */
enum {
    CDEFLATE_HASH_STOCK = 0,
    CDEFLATE_HASH_CRC32C = 1,
    CDEFLATE_HASH_ANZAC = 2,
};

/** Result codes. */
enum {
    CDEFLATE_OK = 0,
    CDEFLATE_ERR_PARAM = -1,    /* level, memLevel or mode out of range */
    CDEFLATE_ERR_MEMORY = -2,   /* allocation failed */
    CDEFLATE_ERR_FINISHED = -3, /* input after the stream was finished */
};

/** An opaque deflate stream. Not thread-safe; use one per thread. */
typedef struct cdeflate_stream cdeflate_stream;

/** Creates a stream (level 1-9, mem_level 1-9, a CDEFLATE_HASH_* mode); NULL with *error set on failure. */
cdeflate_stream *cdeflate_new(int level, int mem_level, int hash_mode, int *error);

/** Frees a stream (NULL is ignored). */
void cdeflate_free(cdeflate_stream *stream);

/**
 * Compresses `length` bytes. `finish` = 1 ends the stream (like Z_FINISH), 0 is Z_NO_FLUSH.
 * The compressed bytes produced so far are appended to the stream's output buffer.
 */
int cdeflate_write(cdeflate_stream *stream, const uint8_t *input, size_t length, int finish);

/** The pending compressed output (valid until the next call on the stream). */
const uint8_t *cdeflate_output(const cdeflate_stream *stream);

/** The number of pending compressed bytes. */
size_t cdeflate_output_length(const cdeflate_stream *stream);

/** Drops the pending compressed output (after the caller copied it). */
void cdeflate_output_clear(cdeflate_stream *stream);

/** 1 once the final block was written. */
int cdeflate_finished(const cdeflate_stream *stream);


#ifdef __cplusplus
}
#endif
#endif
