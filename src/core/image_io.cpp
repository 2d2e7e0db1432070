#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/image.hpp"

namespace rmbg {
namespace {

// libvips loaders we accept, by the nickname libvips gives them. Others that libvips may have
// (SVG, PDF, ImageMagick) are refused: they are not photographs and widen the attack surface.
struct Loader {
  std::string_view vips_name;
  std::string_view format;
};
constexpr std::array kLoaders{
    Loader{"VipsForeignLoadJpegBuffer", "jpeg"}, Loader{"VipsForeignLoadPngBuffer", "png"},
    Loader{"VipsForeignLoadWebpBuffer", "webp"}, Loader{"VipsForeignLoadTiffBuffer", "tiff"},
    Loader{"VipsForeignLoadNsgifBuffer", "gif"}, Loader{"VipsForeignLoadGifBuffer", "gif"},
    Loader{"VipsForeignLoadHeifBuffer", "heif"},
};

std::string_view supported_format(std::string_view bytes) {
  const char* name = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (name == nullptr) return {};
  for (const auto& loader : kLoaders)
    if (loader.vips_name == name) return loader.format;
  return {};
}

// Lists a spill file among the process's temporary files (for a front end stopped by a signal)
// until libvips deletes it with the last image that reads it.
void list_until_deleted(VipsImage* file) {
  const char* name = vips_image_get_filename(file);
  remember_temporary_file(name);
  g_object_set_data_full(G_OBJECT(file), "rmbg-temporary-file", g_strdup(name), [](gpointer path) {
    forget_temporary_file(static_cast<const char*>(path));
    g_free(path);
  });
}

std::string vips_message() {
  std::string message = vips_error_buffer();
  vips_error_clear();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (auto nl = message.rfind('\n'); nl != std::string::npos) message = message.substr(nl + 1);
  return message;
}

// The metadata a loader attaches as blobs: the colour profile, EXIF, XMP, IPTC.
using Blobs = std::vector<std::pair<const char*, std::string>>;

// Copies of the metadata blobs, read from the header before any pixel is decoded: some loaders
// (libvips' HEIF loader) attach blobs that point into their decoder's memory, which is freed
// once the loader has done, while the decoded image still refers to them.
Blobs copy_blobs(const vips::VImage& img) {
  Blobs blobs;
  for (const char* name : {VIPS_META_ICC_NAME, VIPS_META_EXIF_NAME, VIPS_META_XMP_NAME, VIPS_META_IPTC_NAME}) {
    if (img.get_typeof(name) != VIPS_TYPE_BLOB) continue;
    size_t length = 0;
    const void* data = img.get_blob(name, &length);
    blobs.emplace_back(name, std::string(static_cast<const char*>(data), length));
  }
  return blobs;
}

// Sets the copies on `image` in place of the loader's, as blobs of its own.
void set_blobs(vips::VImage& image, const Blobs& blobs) {
  for (const auto& [name, bytes] : blobs)
    if (image.get_typeof(name) == VIPS_TYPE_BLOB) vips_image_set_blob_copy(image.get_image(), name, bytes.data(), bytes.size());
}

// Upright, 3-band RGB of 8 or 16 bits per channel, with the alpha split off.
Image normalise(vips::VImage img, std::string_view format) {
  img = img.autorot();
  const bool sixteen = img.format() == VIPS_FORMAT_USHORT;
  std::optional<vips::VImage> alpha;
  if (img.has_alpha()) {
    alpha = img.extract_band(img.bands() - 1);
    img = img.extract_band(0, vips::VImage::option()->set("n", img.bands() - 1));
  }
  const auto interpretation = img.interpretation();
  const bool is_rgb = img.bands() == 3 && (interpretation == VIPS_INTERPRETATION_sRGB ||
                                           interpretation == VIPS_INTERPRETATION_RGB16);
  if (!is_rgb) {
    img = img.colourspace(sixteen ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB);
    // CMYK and other spaces were converted: their profile no longer describes the pixels.
    if (interpretation == VIPS_INTERPRETATION_CMYK) img.remove(VIPS_META_ICC_NAME);
  }
  // A file may carry bands beyond its colour space's (a grey TIFF of three samples): the
  // conversion keeps them after the colours, and nothing after decoding expects them.
  if (img.bands() > 3) img = img.extract_band(0, vips::VImage::option()->set("n", 3));
  const auto target = sixteen ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR;
  if (img.format() != target) img = img.cast(target);
  if (alpha && alpha->format() != target) *alpha = alpha->cast(target);
  return Image{img, alpha, std::string(format)};
}

}  // namespace

void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("rmbg") != 0) throw Error(ErrorCode::io_error, "libvips failed to start");
    vips_cache_set_max(0);  // every image is new: caching operations only holds memory
  });
}

Image decode_image(std::string_view bytes, const DecodeLimits& limits) {
  init_vips();
  if (bytes.empty()) throw Error(ErrorCode::unsupported_format, "the file is empty");
  const auto format = supported_format(bytes);
  if (format.empty())
    throw Error(ErrorCode::unsupported_format,
                "not a supported image (JPEG, PNG, WebP, TIFF, GIF or HEIF/AVIF expected)");
  try {
    // Only the header is read here; the size check runs before any pixel is decoded.
    auto img = vips::VImage::new_from_buffer(
        bytes.data(), bytes.size(), "",
        vips::VImage::option()->set("fail_on", VIPS_FAIL_ON_ERROR)->set("access", VIPS_ACCESS_SEQUENTIAL));
    const Blobs blobs = copy_blobs(img);
    const auto pixels = static_cast<std::uint64_t>(img.width()) * img.height();
    if (pixels > limits.max_pixels)
      throw Error(ErrorCode::image_too_large,
                  "the image is " + std::to_string(img.width()) + "x" +
                      std::to_string(img.height()) + " (" + std::to_string(pixels / 1'000'000) +
                      " megapixels); the limit is " +
                      std::to_string(limits.max_pixels / 1'000'000) + " megapixels");
    // Decode now, into storage of our own: damage shows here, and `bytes` may go away. Beyond
    // libvips' disc threshold (100 MB of pixels unless VIPS_DISC_THRESHOLD says otherwise) that
    // is a temporary file, deleted with the image, which libvips maps a window of at a time: a
    // 100-megapixel photograph then costs little memory. It is read as decoded, so rotating and
    // converting it happen as it is read.
    if (VIPS_IMAGE_SIZEOF_IMAGE(img.get_image()) > vips_get_disc_threshold()) {
      VipsImage* file = vips_image_new_temp_file("%s.v");
      if (file == nullptr) throw vips::VError();
      const vips::VImage stored(file);
      list_until_deleted(file);
      if (vips_image_write(img.get_image(), file) != 0) throw vips::VError();
      Image image = normalise(stored, format);
      set_blobs(image.rgb, blobs);
      return image;
    }
    auto image = normalise(img.copy_memory(), format);
    image.rgb = image.rgb.copy_memory();
    if (image.alpha) image.alpha = image.alpha->copy_memory();
    set_blobs(image.rgb, blobs);
    return image;
  } catch (const vips::VError&) {
    throw Error(ErrorCode::corrupt_image,
                "the " + std::string(format) + " data is damaged or truncated (" + vips_message() +
                    ")");
  }
}

Image read_image(const std::filesystem::path& path, const DecodeLimits& limits) {
  return decode_image(read_file(path), limits);
}

bool has_image_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array kExtensions{".jpg", ".jpeg", ".png", ".webp", ".tif",
                                          ".tiff", ".gif", ".heic", ".heif", ".avif"};
  return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

}  // namespace rmbg
