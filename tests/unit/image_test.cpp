#include <gtest/gtest.h>

#include "rmbg/error.hpp"
#include "rmbg/files.hpp"
#include "rmbg/image.hpp"
#include "bombs.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::to_bytes;

vips::VImage noise(int w, int h, int bands = 3) {
  init_vips();
  vips::VImage grey = vips::VImage::gaussnoise(w, h, vips::VImage::option()->set("mean", 128)->set("sigma", 40))
                         .cast(VIPS_FORMAT_UCHAR);
  if (bands > 1) grey = grey.bandjoin(std::vector<double>(bands - 1, 90)).cast(VIPS_FORMAT_UCHAR);
  return grey.copy(vips::VImage::option()->set("interpretation", bands >= 3 ? VIPS_INTERPRETATION_sRGB
                                                                     : VIPS_INTERPRETATION_B_W));
}

ErrorCode decode_error(const std::string& bytes) {
  try {
    decode_image(bytes);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "decoded without an error";
  return ErrorCode::io_error;
}

TEST(Decode, RefusesEmptyInput) { EXPECT_EQ(decode_error(""), ErrorCode::unsupported_format); }

TEST(Decode, RefusesTextNamedAsAnImage) {
  EXPECT_EQ(decode_error("hello, this is not a picture\n"), ErrorCode::unsupported_format);
}

TEST(Decode, RefusesSvgEvenThoughLibvipsReadsIt) {
  EXPECT_EQ(decode_error(R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>)"),
            ErrorCode::unsupported_format);
}

TEST(Decode, ReportsATruncatedJpegAsCorrupt) {
  const std::string jpeg = to_bytes(noise(256, 256), ".jpg");
  EXPECT_EQ(decode_error(jpeg.substr(0, jpeg.size() / 2)), ErrorCode::corrupt_image);
}

TEST(Decode, RefusesAHugeImageFromItsHeaderAlone) {
  const std::string jpeg = test::with_claimed_size(to_bytes(noise(16, 16), ".jpg"), 60000, 60000);
  try {
    decode_image(jpeg);
    FAIL() << "decoded a 60000x60000 image";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::image_too_large);
    EXPECT_NE(std::string(e.what()).find("60000x60000"), std::string::npos) << e.what();
  }
}

TEST(Decode, RefusesDecompressionBombsOfEveryFormatFromTheirHeaders) {
  const auto bombs = test::decompression_bombs();
  EXPECT_EQ(bombs.size(), 7u) << "PNG, JPEG, WebP, TIFF, GIF, HEIC and AVIF";
  for (const test::Bomb& bomb : bombs) {
    EXPECT_LT(bomb.bytes.size(), 1024u) << bomb.suffix;
    try {
      decode_image(bomb.bytes);
      ADD_FAILURE() << bomb.suffix << " decoded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::image_too_large) << bomb.suffix << ": " << e.what();
      const std::string size = std::to_string(bomb.width) + "x" + std::to_string(bomb.height);
      EXPECT_NE(std::string(e.what()).find(size), std::string::npos) << bomb.suffix << ": " << e.what();
    }
  }
}

TEST(Decode, AppliesExifOrientation) {
  vips::VImage img = noise(40, 20).copy();
  img.set(VIPS_META_ORIENTATION, 6);  // "rotate 90 clockwise to view"
  const Image decoded = decode_image(to_bytes(img, ".jpg"));
  EXPECT_EQ(decoded.width(), 20);
  EXPECT_EQ(decoded.height(), 40);
  EXPECT_EQ(decoded.format, "jpeg");
}

// Beyond libvips' disc threshold the pixels go to a temporary file instead of memory; they are
// the same, rotated upright, and damage still shows at decoding.
TEST(Decode, ABigPhotographDecodesThroughATemporaryFile) {
  const int w = 7000, h = 5000;  // 105 MB of RGB, past the default 100 MB
  ASSERT_GT(static_cast<std::uint64_t>(w) * h * 3, vips_get_disc_threshold());
  vips::VImage img = vips::VImage::xyz(w, h).cast(VIPS_FORMAT_UCHAR).bandjoin(128).copy(
      vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  img.set(VIPS_META_ORIENTATION, 6);
  const std::string jpeg = to_bytes(img, ".jpg");
  const Image decoded = decode_image(jpeg);
  EXPECT_EQ(decoded.width(), h);
  EXPECT_EQ(decoded.height(), w);
  const vips::VImage expected = vips::VImage::new_from_buffer(jpeg.data(), jpeg.size(), "").autorot();
  EXPECT_EQ((decoded.rgb - expected).abs().max(), 0);
  EXPECT_EQ(decode_error(jpeg.substr(0, jpeg.size() / 2)), ErrorCode::corrupt_image);
}

TEST(Decode, KeepsSixteenBitPrecision) {
  const vips::VImage sixteen = (noise(8, 8).cast(VIPS_FORMAT_USHORT) * 257)
                                   .cast(VIPS_FORMAT_USHORT)
                                   .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16));
  const Image decoded = decode_image(to_bytes(sixteen, ".png"));
  EXPECT_TRUE(decoded.is_16bit());
  EXPECT_EQ(decoded.rgb.bands(), 3);
}

TEST(Decode, TurnsGreyIntoRgbAndSplitsOffAlpha) {
  const Image grey = decode_image(to_bytes(noise(8, 8, 1), ".png"));
  EXPECT_EQ(grey.rgb.bands(), 3);
  EXPECT_FALSE(grey.alpha.has_value());

  const Image rgba = decode_image(to_bytes(noise(8, 8, 4), ".png"));
  EXPECT_EQ(rgba.rgb.bands(), 3);
  ASSERT_TRUE(rgba.alpha.has_value());
  EXPECT_EQ(rgba.alpha->avg(), 90);
}

// Found by the decode fuzzer: a TIFF whose three samples are called grey came out with five bands.
TEST(Decode, KeepsOnlyTheColoursOfAGreyImageWithExtraBands) {
  const Image decoded =
      decode_image(read_file(RMBG_SOURCE_DIR "/fuzz/corpus/decode/grey-tiff-with-extra-samples.tif"));
  EXPECT_EQ(decoded.width(), 16);
  EXPECT_EQ(decoded.rgb.bands(), 3);
}

TEST(Decode, ReadsEveryFormatWeClaim) {
  std::vector<std::pair<const char*, const char*>> formats{
      {".png", "png"}, {".jpg", "jpeg"}, {".webp", "webp"}, {".tif", "tiff"}, {".gif", "gif"}};
  init_vips();
  // HEIF/AVIF only where this libvips was built with libheif (Debian's is).
  if (vips_foreign_find_save_buffer(".avif") != nullptr) formats.emplace_back(".avif", "heif");
  for (const auto& [suffix, name] : formats) {
    const Image decoded = decode_image(to_bytes(noise(24, 16), suffix));
    EXPECT_EQ(decoded.format, name);
    EXPECT_EQ(decoded.width(), 24);
    EXPECT_EQ(decoded.height(), 16);
  }
}

// libvips' HEIF loader attaches the colour profile as a blob in its decoder's memory, freed with
// the loader; the decoded image keeps a copy of its own (AddressSanitizer caught the reads).
TEST(Decode, KeepsTheColourProfileOfAHeifPhotographAfterItsLoaderIsGone) {
  init_vips();
  if (vips_foreign_find_save_buffer(".heic") == nullptr) GTEST_SKIP() << "this libvips writes no HEIC";
  VipsBlob* srgb = nullptr;
  ASSERT_EQ(vips_profile_load("srgb", &srgb, nullptr), 0);  // libvips' own sRGB profile
  size_t size = 0;
  const void* bytes = vips_blob_get(srgb, &size);
  const std::string profile(static_cast<const char*>(bytes), size);
  vips_area_unref(VIPS_AREA(srgb));
  vips::VImage photo = noise(24, 16);
  vips_image_set_blob_copy(photo.get_image(), VIPS_META_ICC_NAME, profile.data(), profile.size());
  const Image decoded = decode_image(to_bytes(photo, ".heic"));
  ASSERT_EQ(decoded.rgb.get_typeof(VIPS_META_ICC_NAME), VIPS_TYPE_BLOB);
  size_t length = 0;
  const void* data = decoded.rgb.get_blob(VIPS_META_ICC_NAME, &length);
  EXPECT_EQ(std::string(static_cast<const char*>(data), length), profile);
}

TEST(Extensions, RecogniseImagesCaseInsensitively) {
  EXPECT_TRUE(has_image_extension("a/B.JPG"));
  EXPECT_TRUE(has_image_extension("x.webp"));
  EXPECT_FALSE(has_image_extension("notes.txt"));
  EXPECT_FALSE(has_image_extension("png"));
}

}  // namespace
}  // namespace rmbg
