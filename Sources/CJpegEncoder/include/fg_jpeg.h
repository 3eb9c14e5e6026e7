#ifndef FG_JPEG_H
#define FG_JPEG_H

/*
 * In-memory JPEG encoding of an RGB24 or GRAY8 buffer with Debian's libjpeg-turbo
 * (libjpeg62-turbo). libjpeg reports errors by longjmp, which must never cross Swift frames:
 * this file catches them and returns a status with a message instead.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FG_JPEG_OK = 0, FG_JPEG_INVALID_ARGUMENT = 1, FG_JPEG_ENCODER_ERROR = 2 } fg_jpeg_status;

/*
 * Encodes width x height pixels (3 bytes per pixel when components is 3, 1 when it is 1; row r
 * at pixels + r * stride) at quality 1...100 (baseline, 4:2:0, no metadata). On success
 * *out_bytes (malloc'd; free with fg_jpeg_free) holds *out_length bytes.
 */
fg_jpeg_status fg_jpeg_encode(const uint8_t *pixels, size_t length, int32_t width, int32_t height, int32_t stride,
                              int32_t components, int32_t quality, uint8_t **out_bytes, size_t *out_length,
                              char *message, size_t message_size);

void fg_jpeg_free(uint8_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
