#ifndef FG_VARIANT_TABLE_H
#define FG_VARIANT_TABLE_H

/*
 * What one compiled variant of the shim (libFacegateDlibBaseline.so, libFacegateDlibAVX2.so)
 * gives the dispatcher in CDlibShim: the public API's functions, on the variant's own engine
 * type. Each variant exports this one symbol and nothing else (exports.map), so no other
 * object can ever bind to the variant's copies of dlib's or the standard library's inline code.
 *
 * Plain C, shared by the dispatcher (C) and the variants (C++): keep it so.
 */

#include "facegate_dlib.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this struct changes, so a stale .so next to a new executable is refused. */
enum { FG_VARIANT_ABI = 2 };

typedef struct fg_variant_engine fg_variant_engine;

typedef struct {
    uint32_t abi;
    const char *name;         /* "baseline" or "avx2": what FACEGATE_SHIM calls it */
    const char *build_info;   /* dlib version and the flags the variant was compiled with */
    fg_status (*engine_create)(const char *models_dir, const fg_engine_options *options,
                               fg_variant_engine **out_engine, char *message, size_t message_size);
    void (*engine_destroy)(fg_variant_engine *engine);
    fg_status (*detect)(fg_variant_engine *engine, const fg_image *image, int32_t max_detect_width,
                        fg_face *faces, int32_t capacity, int32_t *out_count, char *message, size_t message_size);
    fg_status (*descriptors)(fg_variant_engine *engine, const fg_image *image, const fg_face *faces,
                             int32_t count, float *descriptors, char *message, size_t message_size);
    fg_status (*landmarks68)(fg_variant_engine *engine, const fg_image *image, const fg_face *faces,
                             int32_t count, float *xy, char *message, size_t message_size);
    fg_status (*prepare_landmarks68)(fg_variant_engine *engine, char *message, size_t message_size);
    fg_status (*load_rgb_image)(const char *path, uint8_t **out_pixels, int32_t *out_width,
                                int32_t *out_height, char *message, size_t message_size);
    void (*free_pixels)(uint8_t *pixels);
    /* ABI 2 */
    fg_status (*descriptors_and_chips)(fg_variant_engine *engine, const fg_image *image, const fg_face *faces,
                                       int32_t count, float *descriptors, uint8_t *chips, char *message,
                                       size_t message_size);
} fg_variant_table;

/* The one exported symbol of a variant's shared object. */
#define FG_VARIANT_TABLE_SYMBOL "fg_variant_table_v1"
const fg_variant_table *fg_variant_table_v1(void);

#ifdef __cplusplus
}
#endif
#endif
