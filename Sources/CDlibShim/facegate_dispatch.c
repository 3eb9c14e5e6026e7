// The public fg_* API: chooses a compiled variant of the shim (fg_variant_table.h) and forwards
// to it. Plain C on purpose: this part is compiled for baseline x86-64 with the rest of the
// executable, so it can run (and explain itself) on any CPU, before anything with wider
// vector units is loaded.
//
// Why shared objects loaded with dlopen(RTLD_LOCAL) rather than two static copies in the
// executable: both variants instantiate the same inline functions (dlib's templates,
// std::vector's) under the same mangled names, and a static link keeps one copy of each,
// possibly the AVX2 one in the baseline path. Each .so keeps its own copies (see exports.map).

#define _GNU_SOURCE
#include "facegate_dlib.h"
#include "../DlibShimVariant/fg_variant_table.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { VARIANT_COUNT = 3, REASON_SIZE = 512 };

static const char *const variant_names[VARIANT_COUNT] = {"auto", "baseline", "avx2"};
static const char *const variant_files[VARIANT_COUNT] = {NULL, "libFacegateDlibBaseline.so", "libFacegateDlibAVX2.so"};

// One slot per variant, filled once (pthread_once): the table, or why there is none. The auto
// slot points at the chosen variant's table and records why it was chosen.
typedef struct {
    pthread_once_t once;
    const fg_variant_table *table;
    char reason[REASON_SIZE];
} variant_slot;

static variant_slot slots[VARIANT_COUNT] = {
    {PTHREAD_ONCE_INIT, NULL, ""}, {PTHREAD_ONCE_INIT, NULL, ""}, {PTHREAD_ONCE_INIT, NULL, ""}};
static char auto_build_info[2 * REASON_SIZE];

struct fg_engine {
    const fg_variant_table *table;
    fg_variant_engine *inner;
};

static void set_reason(variant_slot *slot, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(slot->reason, sizeof slot->reason, format, args);
    va_end(args);
}

static void write_message(char *message, size_t size, const char *text) {
    if (message == NULL || size == 0) return;
    snprintf(message, size, "%s", text);
}

// The units each variant's compiler flags assume; a CPU without one would die with SIGILL in
// the variant's code, so it is refused here instead, naming the unit.
static const char *missing_unit(int variant) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("sse4.2")) return "SSE4.2";
    if (!__builtin_cpu_supports("popcnt")) return "POPCNT";
    if (!__builtin_cpu_supports("ssse3")) return "SSSE3";
    if (variant == FG_SHIM_AVX2) {
        if (!__builtin_cpu_supports("avx2")) return "AVX2";
        if (!__builtin_cpu_supports("fma")) return "FMA";
    }
    return NULL;
}

// Where the variants are: $FACEGATE_SHIM_DIR alone when set; otherwise beside the executable
// (a build directory) and in ../lib/facegate from it (an installed layout).
static int shim_directories(char dirs[2][PATH_MAX]) {
    const char *forced = getenv("FACEGATE_SHIM_DIR");
    if (forced != NULL && forced[0] != '\0') {
        snprintf(dirs[0], PATH_MAX, "%s", forced);
        return 1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(dirs[0], PATH_MAX, ".");
        return 1;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) *slash = '\0';
    snprintf(dirs[0], PATH_MAX, "%s", exe);
    snprintf(dirs[1], PATH_MAX, "%s/../lib/facegate", exe);
    return 2;
}

static void load_variant(int variant) {
    variant_slot *slot = &slots[variant];
    const char *missing = missing_unit(variant);
    if (missing != NULL) {
        set_reason(slot, "shim variant %s needs %s, which this CPU lacks%s", variant_names[variant], missing,
                   variant == FG_SHIM_AVX2 ? " (the baseline runs here: FACEGATE_SHIM=baseline or auto)" : "");
        return;
    }
    char dirs[2][PATH_MAX];
    int count = shim_directories(dirs);
    char tried[REASON_SIZE] = "";
    for (int i = 0; i < count; ++i) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dirs[i], variant_files[variant]);
        if (access(path, R_OK) != 0) {
            size_t used = strlen(tried);
            snprintf(tried + used, sizeof tried - used, "%s%s", used > 0 ? ", " : "", dirs[i]);
            continue;
        }
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) {
            set_reason(slot, "cannot load shim variant %s: %s", variant_names[variant], dlerror());
            return;
        }
        const fg_variant_table *(*entry)(void) = (const fg_variant_table *(*)(void))dlsym(handle, FG_VARIANT_TABLE_SYMBOL);
        const fg_variant_table *table = entry != NULL ? entry() : NULL;
        if (table == NULL || table->abi != FG_VARIANT_ABI || strcmp(table->name, variant_names[variant]) != 0) {
            set_reason(slot, "%s is not a facegate shim variant %s of this build (stale file? rebuild)", path,
                       variant_names[variant]);
            dlclose(handle);
            return;
        }
        slot->table = table;  // never unloaded: engines and pixels may outlive any caller
        return;
    }
    set_reason(slot, "shim variant %s: %s not found in %s (built by `swift build`, not by --target builds)",
               variant_names[variant], variant_files[variant], tried);
}

static void load_baseline(void) { load_variant(FG_SHIM_BASELINE); }
static void load_avx2(void) { load_variant(FG_SHIM_AVX2); }

static const fg_variant_table *variant_table(int variant, char *message, size_t message_size);

// FACEGATE_SHIM, else the fastest variant the CPU runs; the reason goes into the build info.
static void load_auto(void) {
    variant_slot *slot = &slots[FG_SHIM_AUTO];
    const char *forced = getenv("FACEGATE_SHIM");
    int chosen;
    int forced_by_name = 0;
    char why[128];
    if (forced == NULL || forced[0] == '\0' || strcmp(forced, "auto") == 0) {
        const char *missing = missing_unit(FG_SHIM_AVX2);
        chosen = missing == NULL ? FG_SHIM_AVX2 : FG_SHIM_BASELINE;
        if (missing == NULL)
            snprintf(why, sizeof why, "the CPU has AVX2 and FMA");
        else
            snprintf(why, sizeof why, "the CPU lacks %s", missing);
    } else if (strcmp(forced, "baseline") == 0 || strcmp(forced, "avx2") == 0) {
        chosen = strcmp(forced, "avx2") == 0 ? FG_SHIM_AVX2 : FG_SHIM_BASELINE;
        snprintf(why, sizeof why, "FACEGATE_SHIM=%s", forced);
        forced_by_name = 1;
    } else {
        set_reason(slot, "FACEGATE_SHIM=%s is not a shim variant: expected baseline, avx2 or auto", forced);
        return;
    }
    char message[REASON_SIZE];
    const fg_variant_table *table = variant_table(chosen, message, sizeof message);
    if (table == NULL) {
        if (forced_by_name)
            set_reason(slot, "%s: %s", why, message);
        else
            set_reason(slot, "%s (chosen because %s)", message, why);
        return;
    }
    slot->table = table;
    snprintf(auto_build_info, sizeof auto_build_info, "shim variant %s (%s), %s", table->name, why, table->build_info);
}

static const fg_variant_table *variant_table(int variant, char *message, size_t message_size) {
    if (variant < 0 || variant >= VARIANT_COUNT) {
        char text[96];
        snprintf(text, sizeof text, "shim variant %d is not one of 0 (auto), 1 (baseline), 2 (avx2)", variant);
        write_message(message, message_size, text);
        return NULL;
    }
    static void (*const loaders[VARIANT_COUNT])(void) = {load_auto, load_baseline, load_avx2};
    pthread_once(&slots[variant].once, loaders[variant]);
    if (slots[variant].table == NULL) write_message(message, message_size, slots[variant].reason);
    return slots[variant].table;
}

fg_status fg_shim_load(char *message, size_t message_size) {
    return variant_table(FG_SHIM_AUTO, message, message_size) != NULL ? FG_OK : FG_ERR_SHIM_UNAVAILABLE;
}

const char *fg_build_info(void) {
    if (variant_table(FG_SHIM_AUTO, NULL, 0) == NULL) return slots[FG_SHIM_AUTO].reason;
    return auto_build_info;
}

fg_status fg_engine_create(const char *models_dir, const fg_engine_options *options, fg_engine **out_engine,
                           char *message, size_t message_size) {
    if (out_engine == NULL || options == NULL) {
        write_message(message, message_size, "out_engine or options is NULL");
        return FG_ERR_INVALID_ARGUMENT;
    }
    *out_engine = NULL;
    const fg_variant_table *table = variant_table(options->variant, message, message_size);
    if (table == NULL)
        return options->variant >= 0 && options->variant < VARIANT_COUNT ? FG_ERR_SHIM_UNAVAILABLE
                                                                          : FG_ERR_INVALID_ARGUMENT;
    fg_engine *engine = malloc(sizeof *engine);
    if (engine == NULL) {
        write_message(message, message_size, "out of memory");
        return FG_ERR_OUT_OF_MEMORY;
    }
    engine->table = table;
    fg_status status = table->engine_create(models_dir, options, &engine->inner, message, message_size);
    if (status != FG_OK) {
        free(engine);
        return status;
    }
    *out_engine = engine;
    return FG_OK;
}

void fg_engine_destroy(fg_engine *engine) {
    if (engine == NULL) return;
    engine->table->engine_destroy(engine->inner);
    free(engine);
}

const char *fg_engine_variant(const fg_engine *engine) { return engine != NULL ? engine->table->name : ""; }

// The variants check their arguments; a NULL engine is checked here because its table is.
#define REQUIRE_ENGINE(engine)                                               \
    if ((engine) == NULL) {                                                  \
        write_message(message, message_size, "engine is NULL");              \
        return FG_ERR_INVALID_ARGUMENT;                                      \
    }

fg_status fg_detect(fg_engine *engine, const fg_image *image, int32_t max_detect_width, fg_face *faces,
                    int32_t capacity, int32_t *out_count, char *message, size_t message_size) {
    REQUIRE_ENGINE(engine)
    return engine->table->detect(engine->inner, image, max_detect_width, faces, capacity, out_count, message,
                                 message_size);
}

fg_status fg_descriptors(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count,
                         float *descriptors, char *message, size_t message_size) {
    REQUIRE_ENGINE(engine)
    return engine->table->descriptors(engine->inner, image, faces, count, descriptors, message, message_size);
}

fg_status fg_landmarks68(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count, float *xy,
                         char *message, size_t message_size) {
    REQUIRE_ENGINE(engine)
    return engine->table->landmarks68(engine->inner, image, faces, count, xy, message, message_size);
}

fg_status fg_prepare_landmarks68(fg_engine *engine, char *message, size_t message_size) {
    REQUIRE_ENGINE(engine)
    return engine->table->prepare_landmarks68(engine->inner, message, message_size);
}

fg_status fg_load_rgb_image(const char *path, uint8_t **out_pixels, int32_t *out_width, int32_t *out_height,
                            char *message, size_t message_size) {
    const fg_variant_table *table = variant_table(FG_SHIM_AUTO, message, message_size);
    if (table == NULL) return FG_ERR_SHIM_UNAVAILABLE;
    return table->load_rgb_image(path, out_pixels, out_width, out_height, message, message_size);
}

// The variants allocate with the C library's malloc, the same one as here.
void fg_free_pixels(uint8_t *pixels) { free(pixels); }

fg_status fg_descriptors_and_chips(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count,
                                   float *descriptors, uint8_t *chips, char *message, size_t message_size) {
    REQUIRE_ENGINE(engine)
    return engine->table->descriptors_and_chips(engine->inner, image, faces, count, descriptors, chips, message,
                                                message_size);
}
