#include "rmbg/render.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

// A cut-out whose alpha is `alpha` exactly: a stretch to its own size changes nothing.
Cutout cutout_with(const Image& source, const Matte& alpha) {
  const Region all{0, 0, alpha.width, alpha.height};
  return Cutout(source, {{all, AlphaField::stretched(alpha, alpha.width, alpha.height)}}, std::nullopt);
}

// An 8x6 photograph whose right half is the subject, fading in over two columns.
struct Fixture {
  Image source;
  Cutout cutout;
};

Fixture make_fixture() {
  init_vips();
  Image source;
  source.rgb = vips::VImage::black(8, 6, vips::VImage::option()->set("bands", 3))
                   .linear(std::vector<double>{1, 1, 1}, std::vector<double>{200, 100, 50})
                   .cast(VIPS_FORMAT_UCHAR)
                   .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  source.format = "png";
  Matte alpha(8, 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) alpha.at(x, y) = x < 3 ? 0.0f : x == 3 ? 0.25f : x == 4 ? 0.75f : 1.0f;
  return {source, cutout_with(source, alpha)};
}

TEST(Colour, ParsesHexAndNames) {
  EXPECT_FLOAT_EQ(parse_colour("#ffffff").rgb[1], 1.0f);
  EXPECT_FLOAT_EQ(parse_colour("f00").rgb[0], 1.0f);
  EXPECT_FLOAT_EQ(parse_colour("f00").rgb[1], 0.0f);
  EXPECT_FLOAT_EQ(parse_colour("Blue").rgb[0], 0x43 / 255.0f);
  EXPECT_THROW(parse_colour("#12345"), Error);
  EXPECT_THROW(parse_colour("sky"), Error);
}

TEST(Format, ParsesNamesAndExtensions) {
  EXPECT_EQ(parse_format("JPG"), OutputFormat::jpeg);
  EXPECT_EQ(parse_format(".webp"), OutputFormat::webp);
  EXPECT_THROW(parse_format("bmp"), Error);
  EXPECT_EQ(media_type(OutputFormat::webp), "image/webp");
  EXPECT_EQ(extension(OutputFormat::jpeg), ".jpg");
}

TEST(Validate, RefusesCombinationsNoFileCanHold) {
  OutputSpec spec;
  spec.depth = 16;
  spec.format = OutputFormat::jpeg;
  EXPECT_THROW(validate(spec), Error);
  spec = {};
  spec.kind = OutputKind::mask;
  spec.background = Colour{{1, 1, 1}};
  EXPECT_THROW(validate(spec), Error);
  spec = {};
  spec.depth = 12;
  EXPECT_THROW(validate(spec), Error);
}

TEST(Render, TransparentPngCarriesTheMatteAsAlpha) {
  const auto f = make_fixture();
  const vips::VImage out = render(f.source, f.cutout, {});
  ASSERT_EQ(out.bands(), 4);
  EXPECT_EQ(out.format(), VIPS_FORMAT_UCHAR);
  EXPECT_EQ(out.getpoint(0, 0)[3], 0);
  EXPECT_EQ(out.getpoint(3, 0)[3], 64);  // 0.25 * 255, rounded
  EXPECT_EQ(out.getpoint(7, 5)[3], 255);
  EXPECT_EQ(out.getpoint(7, 5)[0], 200);
}

TEST(Render, SixteenBitKeepsFractionalAlpha) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.depth = 16;
  const vips::VImage out = render(f.source, f.cutout, spec);
  EXPECT_EQ(out.format(), VIPS_FORMAT_USHORT);
  EXPECT_EQ(out.getpoint(4, 0)[3], 49151);  // 0.75 * 65535, rounded
  const Image back = decode_image(encode(out, spec));
  EXPECT_TRUE(back.is_16bit());
  ASSERT_TRUE(back.alpha.has_value());
}

TEST(Render, MaskIsOneGreyBand) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.kind = OutputKind::mask;
  const vips::VImage out = render(f.source, f.cutout, spec);
  EXPECT_EQ(out.bands(), 1);
  EXPECT_EQ(out.getpoint(4, 2)[0], 191);
}

TEST(Render, BackgroundColourFillsWhereTheSubjectIsNot) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.background = parse_colour("#0000ff");
  const vips::VImage out = render(f.source, f.cutout, spec);
  ASSERT_EQ(out.bands(), 3);
  EXPECT_EQ(out.getpoint(0, 0), (std::vector<double>{0, 0, 255}));
  EXPECT_EQ(out.getpoint(7, 0), (std::vector<double>{200, 100, 50}));
}

TEST(Render, JpegWithoutAColourGetsWhite) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.format = OutputFormat::jpeg;
  const vips::VImage out = render(f.source, f.cutout, spec);
  EXPECT_EQ(out.getpoint(0, 0), (std::vector<double>{255, 255, 255}));
  const Image back = decode_image(encode(out, spec));
  EXPECT_EQ(back.format, "jpeg");
  EXPECT_FALSE(back.alpha.has_value());
}

TEST(Render, CropKeepsTheSubjectAndTheMargin) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.crop = Margins::pixels(1);
  const vips::VImage out = render(f.source, f.cutout, spec);
  EXPECT_EQ(out.width(), 6);  // columns 3..7 hold the subject, plus one column of margin
  EXPECT_EQ(out.height(), 6);
}

TEST(Render, CropMarginsMayBeSharesOfTheSubjectAndSaySideBySide) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.crop = Margins{{0, false}, {0, false}, {0, false}, {0.2, true}};  // a fifth of the subject's width on the left
  Region subject;
  const vips::VImage out = render(f.source, f.cutout, spec, &subject);
  EXPECT_EQ(out.width(), 6);  // the subject's 5 columns and 1 of margin
  EXPECT_EQ(subject.left, 1);
  EXPECT_EQ(subject.width, 5);
}

TEST(Render, RegionKeepsOnlyTheSubjectInsideIt) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.region = std::array<Length, 4>{Length{0, false}, Length{0, false}, Length{0.5, true}, Length{1, true}};
  Region subject;
  const vips::VImage out = render(f.source, f.cutout, spec, &subject);
  EXPECT_EQ(out.width(), 8);
  EXPECT_EQ(out.getpoint(6, 2)[3], 0);  // right of the region: gone
  EXPECT_GT(out.getpoint(3, 2)[3], 0);
  EXPECT_EQ(subject.left, 3);
  EXPECT_EQ(subject.width, 1);
}

TEST(Render, PlacementScalesAndMovesTheSubjectOnItsCanvas) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.placement = SubjectPlacement{0.5, 0, 0};
  Region subject;
  const vips::VImage out = render(f.source, f.cutout, spec, &subject);
  EXPECT_EQ(out.width(), 8);
  EXPECT_EQ(out.height(), 6);
  EXPECT_EQ(subject.left, 0);
  EXPECT_EQ(subject.top, 0);
  EXPECT_EQ(subject.height, 3);  // half the canvas's height: the side that limits it
  EXPECT_EQ(out.getpoint(7, 5)[3], 0);
  EXPECT_GT(out.getpoint(subject.width - 1, 1)[3], 200);
}

TEST(Render, MaxPixelsScalesTheOutputDown) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.max_pixels = 12;
  const vips::VImage out = render(f.source, f.cutout, spec);
  EXPECT_EQ(out.width(), 4);
  EXPECT_EQ(out.height(), 3);
}

TEST(Render, BackdropFillsWhereTheSubjectIsNot) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.backdrop = (vips::VImage::black(2, 2) + std::vector<double>{0, 0, 255}).cast(VIPS_FORMAT_UCHAR)
                      .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  const vips::VImage out = render(f.source, f.cutout, spec);
  ASSERT_EQ(out.bands(), 3);
  EXPECT_EQ(out.getpoint(0, 0), (std::vector<double>{0, 0, 255}));
  EXPECT_EQ(out.getpoint(7, 0), (std::vector<double>{200, 100, 50}));
}

TEST(Render, WebpKeepsTransparency) {
  const auto f = make_fixture();
  OutputSpec spec;
  spec.format = OutputFormat::webp;
  const Image back = decode_image(encode(render(f.source, f.cutout, spec), spec));
  EXPECT_EQ(back.format, "webp");
  EXPECT_TRUE(back.alpha.has_value());
}

TEST(Render, CarriesExifAndIccAndMarksThePixelsUpright) {
  auto f = make_fixture();
  // A photograph as a camera writes it: EXIF with a make and a rotation, an ICC profile.
  vips::VImage tagged = f.source.rgb.copy();
  tagged.set("exif-ifd0-Make", "TestCam");
  tagged.set(VIPS_META_ORIENTATION, 6);
  tagged = tagged.icc_transform("srgb", vips::VImage::option()->set("embedded", false)).cast(VIPS_FORMAT_UCHAR);
  const Image photo = decode_image(test::to_bytes(tagged, ".jpg"));
  ASSERT_NE(photo.rgb.get_typeof(VIPS_META_EXIF_NAME), 0u);
  const Cutout cutout = cutout_with(photo, Matte(photo.width(), photo.height()));

  for (OutputFormat format : {OutputFormat::png, OutputFormat::webp, OutputFormat::jpeg}) {
    OutputSpec spec;
    spec.format = format;
    const std::string bytes = encode(render(photo, cutout, spec), spec);
    const vips::VImage back = vips::VImage::new_from_buffer(bytes.data(), bytes.size(), "");
    ASSERT_NE(back.get_typeof("exif-ifd0-Make"), 0u) << extension(format);
    EXPECT_EQ(std::string(back.get_string("exif-ifd0-Make")).rfind("TestCam", 0), 0u);
    EXPECT_NE(back.get_typeof(VIPS_META_ICC_NAME), 0u) << extension(format);
    EXPECT_EQ(back.get_typeof(VIPS_META_ORIENTATION) ? back.get_int(VIPS_META_ORIENTATION) : 1, 1);
  }
}

}  // namespace
}  // namespace rmbg
