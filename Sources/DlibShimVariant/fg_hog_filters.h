// The HOG scanner's filter convolutions (dlib's impl::apply_filters_to_fhog, separable branch)
// computed with the same float operations in the same order, so the saliency images are the
// same to the bit, only faster. Included by facegate_dlib_variant.inc, so it is compiled with
// each variant's flags and dlib's simd8f means the same instructions as in dlib's own code.
//
// Where dlib's time went (callgrind, BUILD-NOTES): float_spatially_filter_image_separable
// row-filters a whole plane into a scratch image and then column-filters that image into the
// saliency image, for each of a filter's ~60 separable components over the 31 fHOG planes,
// reading its taps from a matrix on every step with a loop bound known only at run time. Here
// the taps are a compile-time count held in registers, and the row-filtered rows live in a
// ring of N rows (a few KB, in L1) consumed by the column filter as soon as the N rows it
// needs exist; the plane and the saliency image are each read once per component.
//
// Same order to the bit: a row (or column) result is dlib's three accumulators, taps n, n+1,
// n+2 round-robin, the leftover taps on the first, then t1 + (t2 + t3); columns past the last
// whole group of 8 are dlib's scalar tail, taps summed in order; each component's column
// result is stored (first component of the bank) or added to the saliency (temp + old). The
// expressions are written as dlib writes them, so the compiler contracts (or not) the same
// products and sums into FMAs in both places. FrameThreadsTests compares the scan against
// dlib's own on every reference photo, scores by bit pattern.

#pragma once

#include <dlib/image_processing.h>

#include <vector>

namespace fg_hog {

using dlib::simd8f;

// out[c] for c in [first_col, last_col): row filter f (N taps) over in (one image row).
template <long N>
inline void row_filter(const float *in, float *out, const float *f, long first_col, long last_col) {
    long c = first_col;
    for (; c < last_col - 7; c += 8) {
        simd8f p, p2, p3, temp = 0, temp2 = 0, temp3 = 0;
        long n = 0;
        for (; n < N - 2; n += 3) {
            p.load(&in[c - first_col + n]);
            p2.load(&in[c - first_col + n + 1]);
            p3.load(&in[c - first_col + n + 2]);
            temp += p * f[n];
            temp2 += p2 * f[n + 1];
            temp3 += p3 * f[n + 2];
        }
        for (; n < N; ++n) {
            p.load(&in[c - first_col + n]);
            temp += p * f[n];
        }
        temp += temp2 + temp3;
        temp.store(&out[c]);
    }
    for (; c < last_col; ++c) {
        float p;
        float temp = 0;
        for (long n = 0; n < N; ++n) {
            p = in[c - first_col + n];
            temp += p * f[n];
        }
        out[c] = temp;
    }
}

// out[c] (= or +=) column filter f over the N scratch rows rows[0..N-1], c in [first_col, last_col).
template <long N>
inline void col_filter(const float *const *rows, float *out, const float *f, long first_col, long last_col,
                       bool add_to) {
    long c = first_col;
    for (; c < last_col - 7; c += 8) {
        simd8f p, p2, p3, temp = 0, temp2 = 0, temp3 = 0;
        long m = 0;
        for (; m < N - 2; m += 3) {
            p.load(&rows[m][c]);
            p2.load(&rows[m + 1][c]);
            p3.load(&rows[m + 2][c]);
            temp += p * f[m];
            temp2 += p2 * f[m + 1];
            temp3 += p3 * f[m + 2];
        }
        for (; m < N; ++m) {
            p.load(&rows[m][c]);
            temp += p * f[m];
        }
        temp += temp2 + temp3;
        if (add_to == false) {
            temp.store(&out[c]);
        } else {
            p.load(&out[c]);
            temp += p;
            temp.store(&out[c]);
        }
    }
    for (; c < last_col; ++c) {
        float temp = 0;
        for (long m = 0; m < N; ++m) temp += rows[m][c] * f[m];
        if (add_to == false)
            out[c] = temp;
        else
            out[c] += temp;
    }
}

// Whether filters() below computes this bank: dlib's separable branch with N x N filters and
// planes at least N x N. Anything else goes to dlib's own function.
template <long N, typename Bank>
bool handles(const Bank &w, const dlib::array<dlib::array2d<float>> &feats) {
    if (w.filters.empty() || feats.size() != w.row_filters.size()) return false;
    if (w.filters[0].nr() != N || w.filters[0].nc() != N) return false;
    if (w.num_separable_filters() > w.filters.size() * std::min(w.filters[0].nr(), w.filters[0].nc()) / 3.0)
        return false;  // dlib would run the full 2-D filters
    if (w.num_separable_filters() == 0) return false;
    if (feats[0].nr() < N || feats[0].nc() < N) return false;
    for (unsigned long i = 0; i < w.row_filters.size(); ++i) {
        if (feats[i].nr() != feats[0].nr() || feats[i].nc() != feats[0].nc()) return false;
        for (unsigned long j = 0; j < w.row_filters[i].size(); ++j)
            if (w.row_filters[i][j].size() != N || w.col_filters[i][j].size() != N) return false;
    }
    return true;
}

// dlib's impl::apply_filters_to_fhog for a bank handles<N>() accepts; ring: scratch kept
// between calls.
template <long N, typename Bank>
dlib::rectangle filters(const Bank &w, const dlib::array<dlib::array2d<float>> &feats,
                        dlib::array2d<float> &saliency, std::vector<float> &ring) {
    const long nr = feats[0].nr(), nc = feats[0].nc();
    const long first_row = N / 2, first_col = N / 2;
    const long last_row = nr - ((N - 1) / 2), last_col = nc - ((N - 1) / 2);
    saliency.set_size(nr, nc);
    // dlib zeroes the border when the first component is stored; the rest only add inside.
    for (long r = 0; r < nr; ++r) {
        float *row = &saliency[r][0];
        if (r < first_row || r >= last_row) {
            std::fill(row, row + nc, 0.0f);
        } else {
            std::fill(row, row + first_col, 0.0f);
            std::fill(row + last_col, row + nc, 0.0f);
        }
    }
    ring.resize(size_t(N) * size_t(nc));
    const float *rows[N];
    bool first = true;
    for (unsigned long i = 0; i < w.row_filters.size(); ++i) {
        const dlib::array2d<float> &plane = feats[i];
        for (unsigned long j = 0; j < w.row_filters[i].size(); ++j) {
            const float *rf = &w.row_filters[i][j](0);
            const float *cf = &w.col_filters[i][j](0);
            long filtered = 0;  // image rows row-filtered so far (row q in ring slot q % N)
            for (long r = first_row; r < last_row; ++r) {
                for (; filtered <= r - first_row + N - 1; ++filtered)
                    row_filter<N>(&plane[filtered][0], &ring[size_t(filtered % N) * nc], rf, first_col, last_col);
                for (long m = 0; m < N; ++m) rows[m] = &ring[size_t((r - first_row + m) % N) * nc];
                col_filter<N>(rows, &saliency[r][0], cf, first_col, last_col, !first);
            }
            first = false;
        }
    }
    return dlib::rectangle(first_col, first_row, last_col - 1, last_row - 1);
}

}  // namespace fg_hog
