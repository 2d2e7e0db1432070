#pragma once
// Rows of an image worked on in bands, one per core, for the refinement's passes at the model's
// resolution, which libvips does not spread over its threads.
#include <algorithm>
#include <future>
#include <thread>
#include <vector>

namespace rmbg {

// Calls rows(first, end) on bands [first, end) that together cover [0, height), each at least
// `min_rows` tall, one per core, the calling thread taking the last. Returns when every band is
// done; the first exception of any band is thrown on.
template <class Rows>
void in_bands(int height, int min_rows, const Rows& rows) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int bands = std::clamp(height / std::max(1, min_rows), 1, cores);
  std::vector<std::future<void>> others;
  for (int b = 0; b + 1 < bands; ++b)
    others.push_back(std::async(std::launch::async, [&rows, height, b, bands] {
      rows(height * b / bands, height * (b + 1) / bands);
    }));
  rows(height * (bands - 1) / bands, height);
  for (auto& band : others) band.get();
}

}  // namespace rmbg
