// Decoding from memory, as every upload is decoded: rmbg's own checks in front of libvips (the
// loader allow-list, the pixel limit read from the header, orientation, conversion to RGB).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rmbg/error.hpp"
#include "rmbg/image.hpp"

namespace {

// Small enough for a run to stay fast: libvips' own fuzzers cap their inputs and the images they
// decode the same way. A larger header is still read and refused by the pixel limit, which is
// the check under test; decoding a big image would only make each run slower.
constexpr std::size_t kMaxInput = 100 * 1024;
constexpr std::uint64_t kMaxPixels = 256 * 256;

// Warnings about damaged files would flood the output; errors still come back as exceptions.
// One libvips worker thread: the images are tiny, and starting workers would cost more than it
// saves.
const bool quiet = setenv("VIPS_WARNING", "0", 1) == 0 && setenv("VIPS_CONCURRENCY", "1", 1) == 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInput || !quiet) return 0;
  try {
    const rmbg::Image image =
        rmbg::decode_image(std::string_view(reinterpret_cast<const char*>(data), size), {kMaxPixels});
    // What decodes is what the rest of the pipeline expects.
    const auto pixels = static_cast<std::uint64_t>(image.width()) * image.height();
    if (image.rgb.bands() != 3 || pixels > kMaxPixels || (image.alpha && image.alpha->bands() != 1)) std::abort();
  } catch (const rmbg::Error&) {
  }
  return 0;
}
