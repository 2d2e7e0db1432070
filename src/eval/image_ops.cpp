#include <algorithm>
#include <cmath>
#include <limits>

#include "metric_parts.hpp"

namespace rmbg::metrics {

std::vector<double> convolve_separable(const std::vector<double>& image, int width, int height,
                                       const std::vector<double>& kernel_x,
                                       const std::vector<double>& kernel_y, Border border) {
  const int rx = static_cast<int>(kernel_x.size() / 2), ry = static_cast<int>(kernel_y.size() / 2);
  auto row = [width](int y) { return static_cast<std::size_t>(y) * width; };

  // Along rows, through a copy of each row padded by the border rule, so the inner loop has no
  // bounds checks. Convolution: out[x] = sum_j k[j] * in[x + r - j].
  std::vector<double> along_rows(image.size());
  std::vector<double> padded(static_cast<std::size_t>(width) + 2 * rx);
  for (int y = 0; y < height; ++y) {
    const double* in = &image[row(y)];
    for (int i = 0; i < width + 2 * rx; ++i) {
      const int x = i - rx;
      padded[i] = x >= 0 && x < width     ? in[x]
                  : border == Border::zero ? 0.0
                                           : in[std::clamp(x, 0, width - 1)];
    }
    double* out = &along_rows[row(y)];
    for (int x = 0; x < width; ++x) {
      double sum = 0;
      for (int j = 0; j <= 2 * rx; ++j) sum += kernel_x[j] * padded[x + 2 * rx - j];
      out[x] = sum;
    }
  }

  // Along columns, a whole row at a time.
  std::vector<double> result(image.size(), 0.0);
  for (int y = 0; y < height; ++y) {
    double* out = &result[row(y)];
    for (int j = 0; j <= 2 * ry; ++j) {
      int source = y + ry - j;
      if (source < 0 || source >= height) {
        if (border == Border::zero) continue;
        source = std::clamp(source, 0, height - 1);
      }
      const double* in = &along_rows[row(source)];
      const double k = kernel_y[j];
      for (int x = 0; x < width; ++x) out[x] += k * in[x];
    }
  }
  return result;
}

// The exact Euclidean transform as two 1-D passes (Felzenszwalb & Huttenlocher, "Distance
// transforms of sampled functions", 2012), keeping which pixel is the nearest.
NearestPixels nearest_set_pixels(const std::vector<std::uint8_t>& mask, int width, int height) {
  constexpr int kNone = -1;
  auto at = [width](int x, int y) { return static_cast<std::size_t>(y) * width + x; };

  // Pass 1: in each column, the row of the nearest set pixel of that column.
  std::vector<int> column_row(mask.size(), kNone);
  for (int x = 0; x < width; ++x) {
    int last = kNone;
    for (int y = 0; y < height; ++y) {
      if (mask[at(x, y)]) last = y;
      column_row[at(x, y)] = last;
    }
    last = kNone;
    for (int y = height - 1; y >= 0; --y) {
      if (mask[at(x, y)]) last = y;
      int& row = column_row[at(x, y)];
      if (last != kNone && (row == kNone || last - y < y - row)) row = last;
    }
  }

  // Pass 2: along each row, the lower envelope of the parabolas (x - q)^2 + dy(q)^2 over the
  // columns q that have a set pixel.
  NearestPixels nearest{std::vector<std::int32_t>(mask.size()), std::vector<double>(mask.size())};
  std::vector<int> sites(width);
  std::vector<double> bounds(static_cast<std::size_t>(width) + 1);
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  for (int y = 0; y < height; ++y) {
    auto height_at = [&](int q) {
      const double dy = y - column_row[at(q, y)];
      return dy * dy + static_cast<double>(q) * q;
    };
    int k = -1;
    for (int q = 0; q < width; ++q) {
      if (column_row[at(q, y)] == kNone) continue;
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
      const int q = sites[k], row = column_row[at(q, y)];
      const double dx = x - q, dy = y - row;
      nearest.index[at(x, y)] = static_cast<std::int32_t>(at(q, row));
      nearest.distance[at(x, y)] = std::sqrt(dx * dx + dy * dy);
    }
  }
  return nearest;
}

}  // namespace rmbg::metrics
