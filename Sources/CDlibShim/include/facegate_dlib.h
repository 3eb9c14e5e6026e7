#ifndef FACEGATE_DLIB_H
#define FACEGATE_DLIB_H

/*
 * Plain-C API over dlib's face detection, landmarks and face descriptors.
 *
 * Every function returns an fg_status; on failure a human-readable message is written to
 * the caller's buffer (always NUL-terminated when size > 0). No C++ exception ever crosses
 * this boundary.
 *
 * Variants: dlib's header code is compiled into two shared objects, a baseline for any
 * x86-64-v2 CPU and one with AVX2/FMA (libFacegateDlibBaseline.so, libFacegateDlibAVX2.so,
 * next to the executable or in ../lib/facegate from it, or in $FACEGATE_SHIM_DIR). These
 * functions forward to one of them: by default the one the CPU can run, fastest first, or the
 * one FACEGATE_SHIM (baseline|avx2|auto) names. A variant the CPU cannot run is never loaded:
 * asking for it is FG_ERR_SHIM_UNAVAILABLE naming the missing unit, not a SIGILL.
 *
 * Threads: an fg_engine owns a HOG/MMOD detector and a ResNet whose forward pass stores
 * its activations in the network object, so one engine computes one thing at a time. Each
 * engine serialises its own calls with a mutex (concurrent callers wait, never corrupt
 * state); for parallel work create one engine per thread.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    FG_OK = 0,
    FG_ERR_MODEL_MISSING = 1,     /* message holds the missing file's path */
    FG_ERR_MODEL_INVALID = 2,     /* a model file could not be deserialised */
    FG_ERR_INVALID_ARGUMENT = 3,  /* options, counts or pointers out of range */
    FG_ERR_INVALID_IMAGE = 4,     /* dimensions/stride/length of a pixel buffer inconsistent */
    FG_ERR_IMAGE_LOAD = 5,        /* file unreadable or not a JPEG/PNG/BMP dlib can decode */
    FG_ERR_OUT_OF_MEMORY = 6,
    FG_ERR_INTERNAL = 7,
    FG_ERR_SHIM_UNAVAILABLE = 8   /* the variant asked for cannot run here or was not found: message says which and why */
} fg_status;

typedef enum { FG_DETECTOR_HOG = 0, FG_DETECTOR_MMOD = 1 } fg_detector;
typedef enum { FG_PIXEL_RGB24 = 0, FG_PIXEL_GRAY8 = 1 } fg_pixel_format;
/* AUTO: the process's choice (FACEGATE_SHIM, else the CPU). The others force one variant. */
typedef enum { FG_SHIM_AUTO = 0, FG_SHIM_BASELINE = 1, FG_SHIM_AVX2 = 2 } fg_shim_variant;

enum { FG_DESCRIPTOR_LENGTH = 128, FG_MAX_LANDMARKS = 68, FG_MAX_UPSAMPLE = 3, FG_MAX_IMAGE_SIDE = 16384 };

typedef struct {
    int32_t detector;   /* fg_detector */
    int32_t upsample;   /* 0...FG_MAX_UPSAMPLE: pyramid_up steps before detection */
    int32_t landmarks;  /* 5 or 68 */
    int32_t variant;    /* fg_shim_variant: which compiled variant of dlib's code the engine runs */
} fg_engine_options;

/* A caller-owned pixel buffer: row r starts at pixels + r * stride. */
typedef struct {
    const uint8_t *pixels;
    size_t length;      /* bytes available at pixels */
    int32_t width;
    int32_t height;
    int32_t stride;     /* bytes per row, >= width * bytes per pixel */
    int32_t format;     /* fg_pixel_format */
} fg_image;

/*
 * One face. The box is the detector's rectangle in full-image pixels, dlib's convention
 * (right and bottom inclusive), NOT clipped: it may extend past the image edge. Landmarks
 * are (x, y) pairs in full-image pixels, fitted inside that box trimmed to the image as
 * face_recognition trims it (left/top >= 0, right <= width, bottom <= height).
 */
typedef struct {
    int32_t left, top, right, bottom;
    double score;                           /* HOG: SVM margin; MMOD: detection confidence */
    int32_t landmark_count;                 /* 5 or 68 */
    int32_t landmarks[2 * FG_MAX_LANDMARKS];
} fg_face;

typedef struct fg_engine fg_engine;

/* Loads the models the options need from models_dir, on the variant options->variant names. */
fg_status fg_engine_create(const char *models_dir, const fg_engine_options *options,
                           fg_engine **out_engine, char *message, size_t message_size);

void fg_engine_destroy(fg_engine *engine);

/*
 * Detects faces and fits landmarks. When max_detect_width > 0 and the image is wider, the
 * detector sees the image as if it were max_detect_width wide (then upsampled as the
 * options say), reached with the fewest resamplings: boxes are mapped back, landmarks are
 * always fitted on the full-resolution image. Writes at most capacity faces to faces (may be NULL when
 * capacity is 0); *out_count receives the number found, which may exceed capacity (call
 * again with a bigger array). Faces come largest detector score first.
 */
fg_status fg_detect(fg_engine *engine, const fg_image *image, int32_t max_detect_width,
                    fg_face *faces, int32_t capacity, int32_t *out_count,
                    char *message, size_t message_size);

/*
 * 128-float descriptor for each face (from its landmarks, on this same image), written to
 * descriptors[i * FG_DESCRIPTOR_LENGTH ...]. Landmark count must match the engine's.
 */
fg_status fg_descriptors(fg_engine *engine, const fg_image *image, const fg_face *faces,
                         int32_t count, float *descriptors, char *message, size_t message_size);

/*
 * The 68-point shape (dlib's shape_predictor_68_face_landmarks.dat, iBUG 300-W order) of
 * each face, on this same image, whatever predictor the engine's descriptors use: written to
 * xy[i * 2 * FG_MAX_LANDMARKS ...] as (x, y) float pairs in full-image pixels. Each shape is
 * fitted on the full-resolution image inside the face's box trimmed as fg_detect trims it,
 * so it is the shape a 68-point engine's fg_detect gives for that box. Only the box of each
 * face is read (its landmarks are not); a box empty after trimming is FG_ERR_INVALID_ARGUMENT.
 *
 * An engine whose own predictor is the 68-point one uses it. Otherwise the model is loaded
 * from the engine's models_dir on the first call (about 65 MB in memory, once per engine;
 * the descriptor path is untouched) and evaluated by the shim's flat copy of dlib's
 * algorithm, to the same bits; a missing file is FG_ERR_MODEL_MISSING with its path as the
 * message, and the next call tries again.
 */
fg_status fg_landmarks68(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count,
                         float *xy, char *message, size_t message_size);

/*
 * Loads fg_landmarks68's model now instead of on its first call, so the first frame that asks
 * for 68-point shapes is not held up by reading about 100 MB (seconds on a slow disk, while
 * the camera's frames go by). Nothing to do for an engine whose own predictor is the 68-point
 * one or that has loaded it already; a missing file is FG_ERR_MODEL_MISSING as there.
 */
fg_status fg_prepare_landmarks68(fg_engine *engine, char *message, size_t message_size);

/*
 * Decodes a JPEG/PNG/BMP file to tightly packed RGB24 (stride = 3 * width); alpha is
 * dropped, grey is expanded. Free *out_pixels with fg_free_pixels.
 */
fg_status fg_load_rgb_image(const char *path, uint8_t **out_pixels, int32_t *out_width,
                            int32_t *out_height, char *message, size_t message_size);

void fg_free_pixels(uint8_t *pixels);

/*
 * Loads the variant FG_SHIM_AUTO resolves to (FACEGATE_SHIM, else the CPU) now rather than at
 * the first call, so a process can refuse to start with the reason (a bad FACEGATE_SHIM, avx2
 * forced on a CPU without it, a missing .so). The choice is made once per process.
 */
fg_status fg_shim_load(char *message, size_t message_size);

/*
 * For logs: the variant FG_SHIM_AUTO runs and why it was chosen, dlib's version and the
 * variant's compiler flags; or why no variant could be loaded. Loads it if not yet loaded.
 */
const char *fg_build_info(void);

/* The variant an engine runs: "baseline" or "avx2". */
const char *fg_engine_variant(const fg_engine *engine);

/* dlib's aligned face chip: what the descriptor network sees, RGB24, tightly packed. */
enum { FG_CHIP_SIDE = 150, FG_CHIP_BYTES = FG_CHIP_SIDE * FG_CHIP_SIDE * 3 };

/*
 * As fg_descriptors, and each face's chip (FG_CHIP_SIDE x FG_CHIP_SIDE RGB24, the aligned
 * picture the network was given) written to chips[i * FG_CHIP_BYTES ...]. The descriptors are
 * the same bits fg_descriptors gives.
 */
fg_status fg_descriptors_and_chips(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count,
                                   float *descriptors, uint8_t *chips, char *message, size_t message_size);

#ifdef __cplusplus
}
#endif
#endif
