// dlib behind a plain-C API. Everything here mirrors what dlib's own Python binding (and so
// face_recognition 1.3.0) does, because ../shared/faces/reference.json was produced that way
// and our descriptors must land within 0.01 of it.
//
// Compiler flags (Package.swift, dlibFlags): the HOG scanner (fhog features, image pyramid,
// filter convolutions), the resampling and the shape predictor are header templates, so they
// are compiled here, with our flags, not in Debian's libdlib.so (built for baseline x86-64).
// -O3 always; -mavx2 -mfma -DDLIB_HAVE_AVX only when the build host's /proc/cpuinfo has AVX2
// and FMA: HOG on a 1280x720 frame drops from ~460 ms (-O2, SSE2) to ~270 ms (BUILD-NOTES).
// The price: a binary built on an AVX2 machine dies with SIGILL on one without; facegate is
// built from source on the machine that runs it. The ResNet's convolutions run inside
// libdlib.so on BLAS (OpenBLAS picks its kernels for the CPU at run time), untouched by these
// flags. dlib's SIMD types never cross into libdlib.so's interface, so mixing the two builds
// is safe; the conformance tests (descriptors equal to the reference within 1e-6) run with
// these flags.

#include "facegate_dlib.h"

#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/revision.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

// ---------------------------------------------------------------------------------------
// A caller's pixel buffer seen as a dlib image without copying it. dlib finds the accessor
// functions by argument-dependent lookup, so they live beside the type.

namespace fg_view {
template <typename Pixel>
struct buffer_image {
    const unsigned char *data;
    long rows;
    long cols;
    long stride;
};
template <typename Pixel>
inline long num_rows(const buffer_image<Pixel> &img) { return img.rows; }
template <typename Pixel>
inline long num_columns(const buffer_image<Pixel> &img) { return img.cols; }
template <typename Pixel>
inline const void *image_data(const buffer_image<Pixel> &img) { return img.data; }
template <typename Pixel>
inline long width_step(const buffer_image<Pixel> &img) { return img.stride; }
}  // namespace fg_view

namespace dlib {
template <typename Pixel>
struct image_traits<fg_view::buffer_image<Pixel>> {
    typedef Pixel pixel_type;
};
}  // namespace dlib

namespace {

// ---------------------------------------------------------------------------------------
// Network definitions. They must match the serialized models layer for layer; these are
// the architectures dlib published with dlib_face_recognition_resnet_model_v1.dat and
// mmod_human_face_detector.dat.

using namespace dlib;

template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename Subnet>
using residual = add_prev1<Block<N, BN, 1, tag1<Subnet>>>;

template <template <int, template <typename> class, int, typename> class Block, int N,
          template <typename> class BN, typename Subnet>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<Block<N, BN, 2, tag1<Subnet>>>>>>;

template <int N, template <typename> class BN, int Stride, typename Subnet>
using conv_block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, Stride, Stride, Subnet>>>>>;

template <int N, typename Subnet>
using ares = relu<residual<conv_block, N, affine, Subnet>>;
template <int N, typename Subnet>
using ares_down = relu<residual_down<conv_block, N, affine, Subnet>>;

template <typename Subnet> using alevel0 = ares_down<256, Subnet>;
template <typename Subnet> using alevel1 = ares<256, ares<256, ares_down<256, Subnet>>>;
template <typename Subnet> using alevel2 = ares<128, ares<128, ares_down<128, Subnet>>>;
template <typename Subnet> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, Subnet>>>>;
template <typename Subnet> using alevel4 = ares<32, ares<32, ares<32, Subnet>>>;

using descriptor_net = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

template <long Filters, typename Subnet> using con5d = con<Filters, 5, 5, 2, 2, Subnet>;
template <long Filters, typename Subnet> using con5 = con<Filters, 5, 5, 1, 1, Subnet>;
template <typename Subnet>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, Subnet>>>>>>>>>;
template <typename Subnet> using rcon5 = relu<affine<con5<45, Subnet>>>;

using mmod_net = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

// ---------------------------------------------------------------------------------------
// Errors: thrown inside the shim only, turned into a status + message at the boundary.

struct shim_failure {
    fg_status status;
    std::string message;
};

[[noreturn]] void fail(fg_status status, std::string message) {
    throw shim_failure{status, std::move(message)};
}

void write_message(char *buffer, size_t size, const std::string &text) {
    if (buffer == nullptr || size == 0) return;
    const size_t n = std::min(size - 1, text.size());
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

template <typename Body>
fg_status guarded(char *message, size_t message_size, Body &&body) {
    write_message(message, message_size, "");
    try {
        body();
        return FG_OK;
    } catch (const shim_failure &e) {
        write_message(message, message_size, e.message);
        return e.status;
    } catch (const dlib::serialization_error &e) {
        write_message(message, message_size, std::string("model file does not deserialize: ") + e.what());
        return FG_ERR_MODEL_INVALID;
    } catch (const dlib::image_load_error &e) {
        write_message(message, message_size, e.what());
        return FG_ERR_IMAGE_LOAD;
    } catch (const std::bad_alloc &) {
        write_message(message, message_size, "out of memory");
        return FG_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        write_message(message, message_size, std::string("dlib: ") + e.what());
        return FG_ERR_INTERNAL;
    } catch (...) {
        write_message(message, message_size, "unknown C++ exception");
        return FG_ERR_INTERNAL;
    }
}

bool is_regular_file(const std::string &path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

template <typename Model>
void load_model(const std::string &dir, const char *file, Model &model) {
    const std::string path = dir + "/" + file;
    if (!is_regular_file(path)) fail(FG_ERR_MODEL_MISSING, path);
    try {
        deserialize(path) >> model;
    } catch (const dlib::serialization_error &e) {
        fail(FG_ERR_MODEL_INVALID, path + ": " + e.what());
    }
}

// ---------------------------------------------------------------------------------------
// dlib's 68-point shape_predictor as flat arrays. Evaluated exactly as
// shape_predictor::operator() does it (dlib's own feature extraction and transforms, the same
// trees walked the same way, each level's leaves added to the shape in tree order, plain float
// adds as dlib's axpy with alpha 1 does them), so the shape is the same to the bit; the tests
// compare it with dlib's on every reference face. Why not dlib's object: its 120,000 leaves
// are separate heap vectors and each addition a BLAS call, and after a descriptor has swept
// the caches a fit took ~2.3 ms, a fifth of a descriptor; flat, and with every tree of a level
// walked before its leaves are read (the walks are independent, so the leaves' cache misses
// overlap), it takes about half that. A fit reads about 4 MB of leaves, from L3 at best after
// a descriptor: every line of each chosen leaf (544 bytes) is asked for as soon as the walk
// picks it, and splits are 8 bytes (a level has 500 features), which took another 13-15 % off
// (1.20 -> 1.04 ms per face, CPU time, measured side by side). Bound to dlib's model format
// version 1.

struct flat_shape_model {
    struct split {
        uint16_t idx1, idx2;
        float thresh;
    };
    matrix<float, 0, 1> initial_shape;
    std::vector<std::vector<unsigned long>> anchor_idx;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas;
    unsigned long trees = 0, splits_per_tree = 0, leaves_per_tree = 0;
    std::vector<split> splits;  // [level][tree][node]
    std::vector<float> leaves;  // [level][tree][leaf][coordinate]

    unsigned long levels() const { return anchor_idx.size(); }
    unsigned long parts() const { return initial_shape.size() / 2; }
};

void load_flat_shape_model(const std::string &dir, const char *file, flat_shape_model &m) {
    const std::string path = dir + "/" + file;
    if (!is_regular_file(path)) fail(FG_ERR_MODEL_MISSING, path);
    auto invalid = [&](const std::string &why) { fail(FG_ERR_MODEL_INVALID, path + ": " + why); };
    std::vector<std::vector<impl::regression_tree>> forests;
    int version = 0;
    try {
        deserialize(path) >> version >> m.initial_shape >> forests >> m.anchor_idx >> m.deltas;
    } catch (const dlib::serialization_error &e) {
        invalid(e.what());
    }
    if (version != 1) invalid("shape predictor format version " + std::to_string(version) + ", expected 1");
    const unsigned long coordinates = m.initial_shape.size();
    if (coordinates != 2 * FG_MAX_LANDMARKS) invalid("shape predictor has " + std::to_string(coordinates / 2) + " parts, expected 68");
    if (forests.empty() || forests[0].empty() || forests.size() != m.anchor_idx.size() || forests.size() != m.deltas.size())
        invalid("shape predictor cascade is empty or inconsistent");
    m.trees = forests[0].size();
    m.splits_per_tree = forests[0][0].splits.size();
    m.leaves_per_tree = forests[0][0].leaf_values.size();
    if (m.leaves_per_tree != m.splits_per_tree + 1) invalid("tree with " + std::to_string(m.leaves_per_tree) + " leaves");
    m.splits.reserve(forests.size() * m.trees * m.splits_per_tree);
    m.leaves.reserve(forests.size() * m.trees * m.leaves_per_tree * coordinates);
    for (unsigned long level = 0; level < forests.size(); ++level) {
        const unsigned long features = m.deltas[level].size();
        if (features > 65536) invalid("cascade level " + std::to_string(level) + " has more than 65536 features");
        if (m.anchor_idx[level].size() != features || forests[level].size() != m.trees)
            invalid("cascade level " + std::to_string(level) + " is inconsistent");
        for (unsigned long a : m.anchor_idx[level])
            if (a >= coordinates / 2) invalid("anchor " + std::to_string(a) + " out of range");
        for (const impl::regression_tree &tree : forests[level]) {
            if (tree.splits.size() != m.splits_per_tree || tree.leaf_values.size() != m.leaves_per_tree)
                invalid("trees of different shapes at level " + std::to_string(level));
            for (const impl::split_feature &f : tree.splits) {
                if (f.idx1 >= features || f.idx2 >= features) invalid("split feature out of range");
                m.splits.push_back({uint16_t(f.idx1), uint16_t(f.idx2), f.thresh});
            }
            for (const matrix<float, 0, 1> &leaf : tree.leaf_values) {
                if (leaf.size() != long(coordinates)) invalid("leaf of " + std::to_string(leaf.size()) + " values");
                m.leaves.insert(m.leaves.end(), &leaf(0), &leaf(0) + coordinates);
            }
        }
        // dlib's copy of this level goes before the next is flattened: less at the peak.
        std::vector<impl::regression_tree>().swap(forests[level]);
    }
}

template <typename Image>
full_object_detection fit_flat(const flat_shape_model &m, const Image &img, const rectangle &rect) {
    matrix<float, 0, 1> shape = m.initial_shape;
    const unsigned long coordinates = shape.size();
    std::vector<float> features;
    std::vector<const float *> chosen(m.trees);
    for (unsigned long level = 0; level < m.levels(); ++level) {
        impl::extract_feature_pixel_values(img, rect, shape, m.initial_shape, m.anchor_idx[level], m.deltas[level],
                                           features);
        const flat_shape_model::split *tree = &m.splits[level * m.trees * m.splits_per_tree];
        const float *leaves = &m.leaves[level * m.trees * m.leaves_per_tree * coordinates];
        for (unsigned long t = 0; t < m.trees; ++t, tree += m.splits_per_tree) {
            unsigned long i = 0;
            while (i < m.splits_per_tree)
                i = features[tree[i].idx1] - features[tree[i].idx2] > tree[i].thresh ? impl::left_child(i)
                                                                                    : impl::right_child(i);
            chosen[t] = leaves + (t * m.leaves_per_tree + (i - m.splits_per_tree)) * coordinates;
            for (unsigned long k = 0; k < coordinates; k += 64 / sizeof(float)) __builtin_prefetch(chosen[t] + k);
            __builtin_prefetch(chosen[t] + coordinates - 1);  // a leaf need not start on a line
        }
        float *s = &shape(0);
        for (unsigned long t = 0; t < m.trees; ++t)
            for (unsigned long k = 0; k < coordinates; ++k) s[k] += chosen[t][k];
    }
    const point_transform_affine to_image = impl::unnormalizing_tform(rect);
    std::vector<point> parts(m.parts());
    for (unsigned long i = 0; i < parts.size(); ++i) parts[i] = to_image(impl::location(shape, i));
    return full_object_detection(rect, parts);
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct fg_engine {
    fg_engine_options options;
    std::string models_dir;
    frontal_face_detector hog;
    mmod_net mmod;
    shape_predictor landmarks;
    // fg_landmarks68's model when `landmarks` is the 5-point one: loaded on the first call,
    // so an engine nobody asks for 68 points never holds its 65 MB.
    std::unique_ptr<flat_shape_model> landmarks68;
    descriptor_net descriptors;
    std::mutex lock;
};

namespace {

struct detection {
    rectangle rect;
    double score;
};

// Python binding's run_detector_with_upscale: one pyramid_up with pyramid_down<2> (then
// more in place), detect, map back with rect_down. The detector's own argument is an
// adjust_threshold, not an upsample count.
template <typename Pixel, typename Image>
std::vector<detection> run_hog(fg_engine &e, const Image &img, int upsample) {
    std::vector<rect_detection> found;
    if (upsample == 0) {
        e.hog(img, found, 0.0);
    } else {
        pyramid_down<2> pyr;
        array2d<Pixel> up;
        pyramid_up(img, up, pyr);
        for (int i = 1; i < upsample; ++i) pyramid_up(up);
        e.hog(up, found, 0.0);
        for (auto &d : found) d.rect = pyr.rect_down(d.rect, upsample);
    }
    std::vector<detection> out;
    for (const auto &d : found) out.push_back({d.rect, d.detection_confidence});
    return out;
}

// Python binding's cnn_face_detection_model_v1.__call__.
template <typename Image>
std::vector<detection> run_mmod(fg_engine &e, const Image &img, int upsample) {
    matrix<rgb_pixel> m;
    assign_image(m, img);
    pyramid_down<2> pyr;
    for (int i = 0; i < upsample; ++i) pyramid_up(m, pyr);
    std::vector<detection> out;
    for (const auto &d : e.mmod(m)) {
        out.push_back({rectangle(pyr.rect_down(d.rect, upsample)), d.detection_confidence});
    }
    return out;
}

template <typename Pixel, typename Image>
std::vector<detection> run_detector(fg_engine &e, const Image &img, int upsample) {
    return e.options.detector == FG_DETECTOR_MMOD ? run_mmod(e, img, upsample) : run_hog<Pixel>(e, img, upsample);
}

// Detection with the frame capped at max_width: the detector then sees the scene at
// max_width * 2^upsample pixels across instead of width * 2^upsample (faces smaller than
// 80 / 2^upsample px at max_width are given up for speed). That detection width is reached
// with as few resamplings as possible: only as many pyramid_up doublings as still needed
// (none when the frame is already at least that wide), a downscale to detection width /
// 2^doublings before them (pyramid_down<2> halvings, which low-pass filter, while the copy
// stays at least twice the goal, then one bilinear resize), and no resize at all when the
// frame already has that width. Boxes are mapped back through every step.
template <typename Pixel, typename Image>
std::vector<detection> detect_capped(fg_engine &e, const Image &img, long max_width) {
    const long width = num_columns(img);
    const long detection_width = max_width << e.options.upsample;
    int doublings = 0;
    while ((width << doublings) < detection_width) ++doublings;
    const long goal = detection_width >> doublings;  // <= width
    if (goal >= width) return run_detector<Pixel>(e, img, doublings);

    pyramid_down<2> pyr;
    array2d<Pixel> halved, scratch;
    unsigned int halvings = 0;
    if (width / 2 >= goal) {
        pyr(img, halved);
        halvings = 1;
        while (halved.nc() / 2 >= goal) {
            pyr(halved, scratch);
            swap(halved, scratch);
            ++halvings;
        }
    }
    const long src_w = halvings ? halved.nc() : width;
    const long src_h = halvings ? halved.nr() : num_rows(img);
    array2d<Pixel> small;
    if (src_w > goal) {
        const long h = std::max<long>(1, std::lround(double(src_h) * double(goal) / double(src_w)));
        small.set_size(h, goal);
        if (halvings)
            resize_image(halved, small);
        else
            resize_image(img, small);
    } else {
        swap(small, halved);
    }
    // resize_image maps corner pixel centres onto each other.
    const double sx = double(src_w - 1) / double(std::max<long>(small.nc() - 1, 1));
    const double sy = double(src_h - 1) / double(std::max<long>(small.nr() - 1, 1));
    std::vector<detection> found = run_detector<Pixel>(e, small, doublings);
    for (auto &d : found) {
        drectangle r(d.rect.left() * sx, d.rect.top() * sy, d.rect.right() * sx, d.rect.bottom() * sy);
        if (halvings) r = pyr.rect_up(r, halvings);
        d.rect = rectangle(r);
    }
    return found;
}

template <typename Pixel>
fg_view::buffer_image<Pixel> view_of(const fg_image &image) {
    return fg_view::buffer_image<Pixel>{image.pixels, image.height, image.width, image.stride};
}

void validate(const fg_image *image) {
    if (image == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "image is NULL");
    const int64_t bpp = image->format == FG_PIXEL_RGB24 ? 3 : image->format == FG_PIXEL_GRAY8 ? 1 : 0;
    const std::string dims = std::to_string(image->width) + "x" + std::to_string(image->height);
    if (bpp == 0) fail(FG_ERR_INVALID_IMAGE, "unknown pixel format " + std::to_string(image->format));
    if (image->width <= 0 || image->height <= 0 || image->width > FG_MAX_IMAGE_SIDE ||
        image->height > FG_MAX_IMAGE_SIDE)
        fail(FG_ERR_INVALID_IMAGE, "image size " + dims + " outside 1..." + std::to_string(FG_MAX_IMAGE_SIDE));
    const int64_t row = int64_t(image->width) * bpp;
    if (int64_t(image->stride) < row)
        fail(FG_ERR_INVALID_IMAGE, "stride " + std::to_string(image->stride) + " < " + std::to_string(row) +
                                       " bytes needed for a row of " + dims);
    const int64_t needed = int64_t(image->stride) * (image->height - 1) + row;
    if (image->pixels == nullptr || int64_t(image->length) < needed)
        fail(FG_ERR_INVALID_IMAGE, "pixel buffer has " + std::to_string(image->length) + " bytes, " + dims +
                                       " with stride " + std::to_string(image->stride) + " needs " +
                                       std::to_string(needed));
}

// Landmarks are fitted in the box trimmed to the image the way face_recognition's
// _trim_css_to_bounds does it (right/bottom capped at width/height, one past the last
// pixel): the reference descriptors of faces cut by the edge were made so.
rectangle trimmed_box(const rectangle &r, const fg_image &image) {
    return rectangle(std::max<long>(r.left(), 0), std::max<long>(r.top(), 0), std::min<long>(r.right(), image.width),
                     std::min<long>(r.bottom(), image.height));
}

template <typename Pixel>
int32_t detect_in(fg_engine &e, const fg_image &image, int32_t max_detect_width, fg_face *faces,
                  int32_t capacity) {
    const auto img = view_of<Pixel>(image);
    const std::vector<detection> found = (max_detect_width > 0 && image.width > max_detect_width)
                                             ? detect_capped<Pixel>(e, img, max_detect_width)
                                             : run_detector<Pixel>(e, img, e.options.upsample);
    for (size_t i = 0; i < found.size() && i < size_t(capacity); ++i) {
        const full_object_detection shape = e.landmarks(img, trimmed_box(found[i].rect, image));
        fg_face &f = faces[i];
        f.left = int32_t(found[i].rect.left());
        f.top = int32_t(found[i].rect.top());
        f.right = int32_t(found[i].rect.right());
        f.bottom = int32_t(found[i].rect.bottom());
        f.score = found[i].score;
        f.landmark_count = int32_t(shape.num_parts());
        for (unsigned long p = 0; p < shape.num_parts() && p < FG_MAX_LANDMARKS; ++p) {
            f.landmarks[2 * p] = int32_t(shape.part(p).x());
            f.landmarks[2 * p + 1] = int32_t(shape.part(p).y());
        }
    }
    return int32_t(found.size());
}

// As the Python binding's compute_face_descriptor: one chip per face, each extracted on
// its own (extract_image_chips over several faces would share one pyramid and differ in
// the last bits), 150 px with padding 0.25, then the network on all chips at once.
template <typename Pixel>
void descriptors_in(fg_engine &e, const fg_image &image, const fg_face *faces, int32_t count, float *out) {
    const auto img = view_of<Pixel>(image);
    std::vector<matrix<rgb_pixel>> chips(count);
    for (int32_t i = 0; i < count; ++i) {
        const fg_face &f = faces[i];
        std::vector<point> parts;
        for (int32_t p = 0; p < f.landmark_count; ++p) parts.emplace_back(f.landmarks[2 * p], f.landmarks[2 * p + 1]);
        const full_object_detection shape(rectangle(f.left, f.top, f.right, f.bottom), parts);
        extract_image_chip(img, get_face_chip_details(shape, 150, 0.25), chips[i]);
    }
    const std::vector<matrix<float, 0, 1>> result = e.descriptors(chips, 16);
    for (int32_t i = 0; i < count; ++i) {
        if (result[i].size() != FG_DESCRIPTOR_LENGTH) fail(FG_ERR_INTERNAL, "network returned a descriptor of wrong length");
        std::memcpy(out + size_t(i) * FG_DESCRIPTOR_LENGTH, &result[i](0), sizeof(float) * FG_DESCRIPTOR_LENGTH);
    }
}

// Caller holds e.lock.
void load_landmarks68(fg_engine &e) {
    if (e.options.landmarks == 68 || e.landmarks68) return;
    std::unique_ptr<flat_shape_model> loaded(new flat_shape_model());
    load_flat_shape_model(e.models_dir, "shape_predictor_68_face_landmarks.dat", *loaded);
    e.landmarks68 = std::move(loaded);
}

// Each face on its own with the same trimmed box as detect_in: a shape depends only on the
// pixels and its box, so asking for it changes nothing else. An engine whose own predictor
// is the 68-point one uses it (no second copy of the model).
template <typename Pixel>
void landmarks68_in(fg_engine &e, const fg_image &image, const fg_face *faces, int32_t count, float *xy) {
    const bool own = e.options.landmarks == 68;
    load_landmarks68(e);
    const auto img = view_of<Pixel>(image);
    for (int32_t i = 0; i < count; ++i) {
        const fg_face &f = faces[i];
        const rectangle box = trimmed_box(rectangle(f.left, f.top, f.right, f.bottom), image);
        const full_object_detection shape = own ? e.landmarks(img, box) : fit_flat(*e.landmarks68, img, box);
        if (shape.num_parts() != FG_MAX_LANDMARKS) fail(FG_ERR_INTERNAL, "68-point predictor returned a shape of wrong size");
        float *out = xy + size_t(i) * 2 * FG_MAX_LANDMARKS;
        for (unsigned long p = 0; p < shape.num_parts(); ++p) {
            out[2 * p] = float(shape.part(p).x());
            out[2 * p + 1] = float(shape.part(p).y());
        }
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------

extern "C" fg_status fg_engine_create(const char *models_dir, const fg_engine_options *options,
                                      fg_engine **out_engine, char *message, size_t message_size) {
    return guarded(message, message_size, [&] {
        if (out_engine == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "out_engine is NULL");
        *out_engine = nullptr;
        if (models_dir == nullptr || options == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "models_dir or options is NULL");
        if (options->detector != FG_DETECTOR_HOG && options->detector != FG_DETECTOR_MMOD)
            fail(FG_ERR_INVALID_ARGUMENT, "unknown detector " + std::to_string(options->detector));
        if (options->upsample < 0 || options->upsample > FG_MAX_UPSAMPLE)
            fail(FG_ERR_INVALID_ARGUMENT, "upsample " + std::to_string(options->upsample) + " outside 0..." +
                                              std::to_string(FG_MAX_UPSAMPLE));
        if (options->landmarks != 5 && options->landmarks != 68)
            fail(FG_ERR_INVALID_ARGUMENT, "landmarks must be 5 or 68, not " + std::to_string(options->landmarks));
        const std::string dir(models_dir);
        struct stat st;
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail(FG_ERR_MODEL_MISSING, dir);

        std::unique_ptr<fg_engine> e(new fg_engine());
        e->options = *options;
        e->models_dir = dir;
        load_model(dir, options->landmarks == 5 ? "shape_predictor_5_face_landmarks.dat"
                                                : "shape_predictor_68_face_landmarks.dat",
                   e->landmarks);
        load_model(dir, "dlib_face_recognition_resnet_model_v1.dat", e->descriptors);
        if (options->detector == FG_DETECTOR_MMOD)
            load_model(dir, "mmod_human_face_detector.dat", e->mmod);
        else
            e->hog = get_frontal_face_detector();
        if (e->landmarks.num_parts() != unsigned(options->landmarks))
            fail(FG_ERR_MODEL_INVALID, "shape predictor has " + std::to_string(e->landmarks.num_parts()) +
                                           " parts, expected " + std::to_string(options->landmarks));
        *out_engine = e.release();
    });
}

extern "C" void fg_engine_destroy(fg_engine *engine) {
    try {
        delete engine;
    } catch (...) {
    }
}

extern "C" fg_status fg_detect(fg_engine *engine, const fg_image *image, int32_t max_detect_width,
                               fg_face *faces, int32_t capacity, int32_t *out_count, char *message,
                               size_t message_size) {
    return guarded(message, message_size, [&] {
        if (engine == nullptr || out_count == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "engine or out_count is NULL");
        *out_count = 0;
        if (capacity < 0 || (capacity > 0 && faces == nullptr)) fail(FG_ERR_INVALID_ARGUMENT, "bad faces array");
        if (max_detect_width < 0 || (max_detect_width > 0 && max_detect_width < 32))
            fail(FG_ERR_INVALID_ARGUMENT, "max_detect_width " + std::to_string(max_detect_width) +
                                              " must be 0 (off) or at least 32");
        validate(image);
        std::lock_guard<std::mutex> hold(engine->lock);
        *out_count = image->format == FG_PIXEL_RGB24
                         ? detect_in<rgb_pixel>(*engine, *image, max_detect_width, faces, capacity)
                         : detect_in<unsigned char>(*engine, *image, max_detect_width, faces, capacity);
    });
}

extern "C" fg_status fg_descriptors(fg_engine *engine, const fg_image *image, const fg_face *faces,
                                    int32_t count, float *descriptors, char *message, size_t message_size) {
    return guarded(message, message_size, [&] {
        if (engine == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "engine is NULL");
        if (count < 0 || (count > 0 && (faces == nullptr || descriptors == nullptr)))
            fail(FG_ERR_INVALID_ARGUMENT, "bad faces or descriptors array");
        validate(image);
        for (int32_t i = 0; i < count; ++i) {
            if (faces[i].landmark_count != engine->options.landmarks)
                fail(FG_ERR_INVALID_ARGUMENT, "face " + std::to_string(i) + " has " +
                                                  std::to_string(faces[i].landmark_count) + " landmarks, engine uses " +
                                                  std::to_string(engine->options.landmarks));
        }
        if (count == 0) return;
        std::lock_guard<std::mutex> hold(engine->lock);
        if (image->format == FG_PIXEL_RGB24)
            descriptors_in<rgb_pixel>(*engine, *image, faces, count, descriptors);
        else
            descriptors_in<unsigned char>(*engine, *image, faces, count, descriptors);
    });
}

extern "C" fg_status fg_landmarks68(fg_engine *engine, const fg_image *image, const fg_face *faces, int32_t count,
                                    float *xy, char *message, size_t message_size) {
    return guarded(message, message_size, [&] {
        if (engine == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "engine is NULL");
        if (count < 0 || (count > 0 && (faces == nullptr || xy == nullptr)))
            fail(FG_ERR_INVALID_ARGUMENT, "bad faces or xy array");
        validate(image);
        for (int32_t i = 0; i < count; ++i) {
            const fg_face &f = faces[i];
            if (trimmed_box(rectangle(f.left, f.top, f.right, f.bottom), *image).is_empty())
                fail(FG_ERR_INVALID_ARGUMENT, "face " + std::to_string(i) + " box (l " + std::to_string(f.left) + ", t " +
                                                  std::to_string(f.top) + ", r " + std::to_string(f.right) + ", b " +
                                                  std::to_string(f.bottom) + ") is empty inside the " +
                                                  std::to_string(image->width) + "x" + std::to_string(image->height) +
                                                  " image");
        }
        if (count == 0) return;
        std::lock_guard<std::mutex> hold(engine->lock);
        if (image->format == FG_PIXEL_RGB24)
            landmarks68_in<rgb_pixel>(*engine, *image, faces, count, xy);
        else
            landmarks68_in<unsigned char>(*engine, *image, faces, count, xy);
    });
}

extern "C" fg_status fg_prepare_landmarks68(fg_engine *engine, char *message, size_t message_size) {
    return guarded(message, message_size, [&] {
        if (engine == nullptr) fail(FG_ERR_INVALID_ARGUMENT, "engine is NULL");
        std::lock_guard<std::mutex> hold(engine->lock);
        load_landmarks68(*engine);
    });
}

extern "C" fg_status fg_load_rgb_image(const char *path, uint8_t **out_pixels, int32_t *out_width,
                                       int32_t *out_height, char *message, size_t message_size) {
    return guarded(message, message_size, [&] {
        if (path == nullptr || out_pixels == nullptr || out_width == nullptr || out_height == nullptr)
            fail(FG_ERR_INVALID_ARGUMENT, "NULL argument");
        *out_pixels = nullptr;
        *out_width = *out_height = 0;
        if (!is_regular_file(path)) fail(FG_ERR_IMAGE_LOAD, std::string(path) + ": no such file");
        // Loaded with alpha so that RGBA PNGs keep their colour values: dlib blends alpha
        // when assigning into rgb_pixel, PIL (face_recognition's loader) just drops it.
        array2d<rgb_alpha_pixel> img;
        load_image(img, path);
        if (img.nc() <= 0 || img.nr() <= 0 || img.nc() > FG_MAX_IMAGE_SIDE || img.nr() > FG_MAX_IMAGE_SIDE)
            fail(FG_ERR_IMAGE_LOAD, std::string(path) + ": unsupported image size " + std::to_string(img.nc()) + "x" +
                                        std::to_string(img.nr()));
        const size_t n = size_t(img.nc()) * size_t(img.nr()) * 3;
        uint8_t *px = static_cast<uint8_t *>(std::malloc(n));
        if (px == nullptr) throw std::bad_alloc();
        size_t o = 0;
        for (long r = 0; r < img.nr(); ++r) {
            for (long c = 0; c < img.nc(); ++c) {
                px[o++] = img[r][c].red;
                px[o++] = img[r][c].green;
                px[o++] = img[r][c].blue;
            }
        }
        *out_pixels = px;
        *out_width = int32_t(img.nc());
        *out_height = int32_t(img.nr());
    });
}

extern "C" void fg_free_pixels(uint8_t *pixels) { std::free(pixels); }

extern "C" const char *fg_build_info(void) {
#define FG_STR2(x) #x
#define FG_STR(x) FG_STR2(x)
    return "dlib " FG_STR(DLIB_MAJOR_VERSION) "." FG_STR(DLIB_MINOR_VERSION) "." FG_STR(DLIB_PATCH_VERSION)
#ifdef DLIB_HAVE_AVX
           ", shim compiled with AVX2/FMA"
#else
           ", shim compiled for baseline SSE2"
#endif
        ;
}
