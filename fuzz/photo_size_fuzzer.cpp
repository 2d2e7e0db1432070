// The ID-photo size parser and the checks after it, as the API runs them. Input: the DPI in its
// first four bytes, then the size ("35x45mm", "413x531px", "1inch").
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "rmbg/error.hpp"
#include "rmbg/idphoto.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(std::int32_t)) return 0;
  std::int32_t dpi = 0;
  std::memcpy(&dpi, data, sizeof dpi);
  const std::string_view text(reinterpret_cast<const char*>(data) + sizeof dpi, size - sizeof dpi);
  try {
    rmbg::IdPhotoOptions options;
    options.dpi = dpi;
    options.standard = rmbg::find_photo_standard(text, dpi);
    rmbg::validate(options);
    // What passes the checks has a size the rest of the pipeline can make.
    const rmbg::PixelSize px = rmbg::pixel_size(options.standard, dpi);
    if (px.width < 64 || px.height < 64 || px.width > 8000 || px.height > 8000) std::abort();
  } catch (const rmbg::Error&) {
  }
  return 0;
}
