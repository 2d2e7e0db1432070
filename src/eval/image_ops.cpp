#include <algorithm>
#include <limits>

#include "metric_parts.hpp"

namespace rmbg::metrics {

template <class Pixel>
std::vector<double> convolve_separable(const std::vector<Pixel>& image, int width, int height,
                                       const std::vector<double>& kernel_x,
                                       const std::vector<double>& kernel_y, Border border) {
  const int rx = static_cast<int>(kernel_x.size() / 2), ry = static_cast<int>(kernel_y.size() / 2);
  auto row = [width](int y) { return static_cast<std::size_t>(y) * width; };

  // Rows filtered along x are kept only while the column filter needs them: a ring of 2 ry + 1
  // rows, where row s sits in slot s mod (2 ry + 1).
  const int ring_rows = 2 * ry + 1;
  std::vector<double> ring(static_cast<std::size_t>(ring_rows) * width);
  std::vector<double> padded(static_cast<std::size_t>(width) + 2 * rx);
  int next_filtered = 0;
  // Along x, through a copy of the row padded by the border rule so the inner loop has no bounds
  // checks. Convolution: out[x] = sum_j k[j] * in[x + r - j].
  auto filter_row = [&](int y) {
    const Pixel* in = &image[row(y)];
    std::copy(in, in + width, padded.begin() + rx);
    std::fill_n(padded.begin(), rx, border == Border::zero ? 0.0 : in[0]);
    std::fill_n(padded.end() - rx, rx, border == Border::zero ? 0.0 : in[width - 1]);
    double* out = &ring[row(y % ring_rows)];
    std::fill(out, out + width, 0.0);
    for (int j = 0; j <= 2 * rx; ++j) {
      const double k = kernel_x[j];
      const double* in_shifted = &padded[2 * rx - j];
      for (int x = 0; x < width; ++x) out[x] += k * in_shifted[x];
    }
  };

  std::vector<double> result(image.size(), 0.0);
  for (int y = 0; y < height; ++y) {
    for (; next_filtered <= std::min(y + ry, height - 1); ++next_filtered)
      filter_row(next_filtered);
    double* out = &result[row(y)];
    for (int j = 0; j <= 2 * ry; ++j) {
      int source = y + ry - j;
      if (source < 0 || source >= height) {
        if (border == Border::zero) continue;
        source = std::clamp(source, 0, height - 1);
      }
      const double* in = &ring[row(source % ring_rows)];
      const double k = kernel_y[j];
      for (int x = 0; x < width; ++x) out[x] += k * in[x];
    }
  }
  return result;
}

template std::vector<double> convolve_separable(const std::vector<float>&, int, int,
                                                const std::vector<double>&,
                                                const std::vector<double>&, Border);
template std::vector<double> convolve_separable(const std::vector<double>&, int, int,
                                                const std::vector<double>&,
                                                const std::vector<double>&, Border);

// The exact Euclidean transform as two 1-D passes (Felzenszwalb & Huttenlocher, "Distance
// transforms of sampled functions", 2012), keeping which pixel is the nearest.
std::vector<std::int32_t> nearest_set_pixels(const std::vector<std::uint8_t>& mask, int width,
                                             int height) {
  constexpr int kNone = -1;
  auto at = [width](int x, int y) { return static_cast<std::size_t>(y) * width + x; };

  // Pass 1: in each column, the row of the nearest set pixel of that column; swept a row at a
  // time, down and then up, for memory order. Kept in `nearest` until pass 2 replaces it.
  std::vector<std::int32_t> nearest(mask.size(), kNone);
  std::vector<std::int32_t>& column_row = nearest;
  std::vector<int> last(width, kNone);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      if (mask[at(x, y)]) last[x] = y;
      column_row[at(x, y)] = last[x];
    }
  std::fill(last.begin(), last.end(), kNone);
  for (int y = height - 1; y >= 0; --y)
    for (int x = 0; x < width; ++x) {
      if (mask[at(x, y)]) last[x] = y;
      std::int32_t& row = column_row[at(x, y)];
      if (last[x] != kNone && (row == kNone || last[x] - y < y - row)) row = last[x];
    }

  // Pass 2: along each row, the lower envelope of the parabolas (x - q)^2 + dy(q)^2 over the
  // columns q that have a set pixel.
  std::vector<int> row_of(width), sites(width);
  std::vector<double> bounds(static_cast<std::size_t>(width) + 1);
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  for (int y = 0; y < height; ++y) {
    std::copy_n(&column_row[at(0, y)], width, row_of.begin());
    auto height_at = [&](int q) {
      const double dy = y - row_of[q];
      return dy * dy + static_cast<double>(q) * q;
    };
    int k = -1;
    for (int q = 0; q < width; ++q) {
      if (row_of[q] == kNone) continue;
      double s = -kInfinity;
      while (k >= 0) {
        s = (height_at(q) - height_at(sites[k])) / (2.0 * (q - sites[k]));
        if (s > bounds[k]) break;
        --k;
      }
      ++k;
      sites[k] = q;
      bounds[k] = k == 0 ? -kInfinity : s;
      bounds[k + 1] = kInfinity;
    }
    k = 0;
    for (int x = 0; x < width; ++x) {
      while (bounds[k + 1] < x) ++k;
      nearest[at(x, y)] = static_cast<std::int32_t>(at(sites[k], row_of[sites[k]]));
    }
  }
  return nearest;
}

// Union-find over runs of set pixels along rows: far fewer runs than pixels. A region's root is
// its first run in row-major order because unions always hang the later root under the earlier.
void largest_region(const std::vector<std::uint8_t>& mask, int width, int height,
                    std::vector<std::uint8_t>& region) {
  struct Run {
    int y, begin, end;  // [begin, end) on row y
  };
  std::vector<Run> runs;
  std::vector<std::size_t> parent;
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  auto unite = [&](std::size_t a, std::size_t b) {
    a = find(a), b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  };

  std::size_t previous_row_start = 0;
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = &mask[static_cast<std::size_t>(y) * width];
    const std::size_t row_start = runs.size();
    for (int x = 0; x < width;) {
      if (!row[x]) {
        ++x;
        continue;
      }
      const int begin = x;
      while (x < width && row[x]) ++x;
      runs.push_back({y, begin, x});
      parent.push_back(runs.size() - 1);
    }
    // Runs of this row and the one above touch (4-connected) where their spans overlap.
    for (std::size_t a = previous_row_start, b = row_start; a < row_start && b < runs.size();) {
      if (runs[a].begin < runs[b].end && runs[b].begin < runs[a].end) unite(a, b);
      if (runs[a].end < runs[b].end)
        ++a;
      else
        ++b;
    }
    previous_row_start = row_start;
  }

  std::vector<std::uint64_t> region_size(runs.size(), 0);
  for (std::size_t i = 0; i < runs.size(); ++i) region_size[find(i)] += runs[i].end - runs[i].begin;
  std::size_t largest = runs.size();
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (parent[i] == i && (largest == runs.size() || region_size[i] > region_size[largest]))
      largest = i;

  region.assign(mask.size(), 0);
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (find(i) == largest) {
      auto first = region.begin() + static_cast<std::ptrdiff_t>(runs[i].y) * width;
      std::fill(first + runs[i].begin, first + runs[i].end, 1);
    }
}

}  // namespace rmbg::metrics
