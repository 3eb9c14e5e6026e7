// libjpeg's compressor behind one call. Its error manager exits by default; ours longjmps
// back here, so a failure is a status, and nothing leaks (the compressor is destroyed and a
// partial output buffer freed on every path).

#include "fg_jpeg.h"

// jpeglib.h uses FILE without including stdio.h itself.
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
#include <setjmp.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
} error_manager;

static void on_error(j_common_ptr cinfo) {
    error_manager *errors = (error_manager *)cinfo->err;
    longjmp(errors->escape, 1);
}

// Warnings (e.g. a corrupt input marker) cannot happen when compressing our own pixels;
// they are not printed to stderr, whatever happens.
static void on_message(j_common_ptr cinfo) { (void)cinfo; }

static void write_message(char *message, size_t size, const char *text) {
    if (message != NULL && size > 0) snprintf(message, size, "%s", text);
}

fg_jpeg_status fg_jpeg_encode(const uint8_t *pixels, size_t length, int32_t width, int32_t height, int32_t stride,
                              int32_t components, int32_t quality, uint8_t **out_bytes, size_t *out_length,
                              char *message, size_t message_size) {
    write_message(message, message_size, "");
    if (out_bytes == NULL || out_length == NULL || pixels == NULL) {
        write_message(message, message_size, "NULL argument");
        return FG_JPEG_INVALID_ARGUMENT;
    }
    *out_bytes = NULL;
    *out_length = 0;
    if (components != 1 && components != 3) {
        write_message(message, message_size, "components must be 1 (gray) or 3 (RGB)");
        return FG_JPEG_INVALID_ARGUMENT;
    }
    if (width <= 0 || height <= 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) {
        write_message(message, message_size, "width or height outside 1...65500");
        return FG_JPEG_INVALID_ARGUMENT;
    }
    if (quality < 1 || quality > 100) {
        write_message(message, message_size, "quality outside 1...100");
        return FG_JPEG_INVALID_ARGUMENT;
    }
    const size_t row = (size_t)width * (size_t)components;
    if (stride < 0 || (size_t)stride < row || length < (size_t)stride * (size_t)(height - 1) + row) {
        write_message(message, message_size, "stride or buffer length too small for the size");
        return FG_JPEG_INVALID_ARGUMENT;
    }

    struct jpeg_compress_struct cinfo;
    error_manager errors;
    // Read after a longjmp back into this frame: their addresses go to libjpeg, so they live
    // in memory, not in registers setjmp could have saved stale.
    unsigned char *buffer = NULL;
    unsigned long buffer_size = 0;
    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    errors.base.output_message = on_message;
    if (setjmp(errors.escape)) {
        char text[JMSG_LENGTH_MAX];
        errors.base.format_message((j_common_ptr)&cinfo, text);
        write_message(message, message_size, text);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return FG_JPEG_ENCODER_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    // libjpeg-turbo's SIMD DCT; the float one is slower and no better at these qualities.
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(pixels + (size_t)cinfo.next_scanline * (size_t)stride)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out_bytes = buffer;
    *out_length = buffer_size;
    return FG_JPEG_OK;
}

void fg_jpeg_free(uint8_t *bytes) { free(bytes); }
