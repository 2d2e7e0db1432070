// The parts of ID photos that need no model: the size table, custom sizes, print sheet layouts and
// encoding with a DPI and a file size target.
#include <gtest/gtest.h>

#include <algorithm>

#include "rmbg/error.hpp"
#include "rmbg/idphoto.hpp"
#include "rmbg/print_sheet.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

ErrorCode code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::not_found;
}

TEST(PhotoStandards, EachHasItsPixelSizeAtPrintResolution) {
  const std::map<std::string, std::pair<int, int>> expected{
      {"1inch", {295, 413}},       {"small-1inch", {260, 378}}, {"large-1inch", {390, 567}},
      {"2inch", {413, 579}},       {"small-2inch", {413, 531}}, {"cn-passport", {390, 567}},
      {"us-visa", {600, 600}},     {"schengen", {413, 531}},    {"japan-visa", {531, 531}},
      {"uk-passport", {413, 531}},
  };
  ASSERT_EQ(photo_standards().size(), expected.size());
  for (const auto& standard : photo_standards()) {
    const PixelSize px = pixel_size(standard, 300);
    EXPECT_EQ(std::make_pair(px.width, px.height), expected.at(standard.name)) << standard.name;
    EXPECT_LT(standard.head_height_mm.min, standard.head_height_mm.max) << standard.name;
    EXPECT_NE(standard.top_margin_mm.has_value(), standard.eye_line_mm.has_value()) << standard.name;
    EXPECT_FALSE(standard.source.empty()) << standard.name;
  }
  EXPECT_EQ(pixel_size(find_photo_standard("us-visa"), 600).width, 1200);
}

TEST(PhotoStandards, CustomSizesInMillimetresOrPixels) {
  const PhotoStandard mm = find_photo_standard("40x50mm");
  EXPECT_DOUBLE_EQ(mm.width_mm, 40);
  EXPECT_DOUBLE_EQ(mm.height_mm, 50);
  // The proportions of the 35x45 mm photo: head 32-36 of 45 mm.
  EXPECT_NEAR(mm.head_height_mm.min, 32.0 * 50 / 45, 1e-9);
  ASSERT_TRUE(mm.top_margin_mm.has_value());

  const PhotoStandard px = find_photo_standard("358x441px", 350);
  const PixelSize size = pixel_size(px, 350);
  EXPECT_EQ(size.width, 358);
  EXPECT_EQ(size.height, 441);

  for (const char* wrong : {"3inch", "35x45", "35x45cm", "x45mm", "-35x45mm"}) {
    try {
      find_photo_standard(wrong);
      ADD_FAILURE() << wrong;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("1inch, small-1inch"), std::string::npos) << e.what();
    }
  }
  IdPhotoOptions options;
  options.standard = find_photo_standard("2x2mm");
  EXPECT_EQ(code_of([&] { validate(options); }), ErrorCode::invalid_argument);
  options.standard = find_photo_standard("2inch");
  options.dpi = 30;
  EXPECT_EQ(code_of([&] { validate(options); }), ErrorCode::invalid_argument);
}

TEST(PhotoStandards, CustomSizesAreReadWithoutBacktrackingAndWithinBounds) {
  const PhotoStandard decimals = find_photo_standard("35.5x45.25mm");
  EXPECT_DOUBLE_EQ(decimals.width_mm, 35.5);
  EXPECT_DOUBLE_EQ(decimals.height_mm, 45.25);
  for (const char* wrong : {"1.2.3x45mm", "35xx45mm", "35x45mmmm", "3 5x45mm", ".5x45mm", "35.x45mm", "mm", "x"}) {
    try {
      find_photo_standard(wrong);
      ADD_FAILURE() << wrong;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("unknown photo size"), std::string::npos) << e.what();
    }
  }
  // What crashed the server once: std::regex recursed once per digit until the stack ran out.
  try {
    find_photo_standard(std::string(100'000, '9') + "x45mm");
    ADD_FAILURE() << "100,000 digits";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("too long (100005 characters; at most 64)"), std::string::npos) << e.what();
  }
  // Too large a number is said to be so, not turned into a size of 0 pixels.
  try {
    find_photo_standard("99999999999999999999x45mm");
    ADD_FAILURE() << "20 digits";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "99999999999999999999 is too large for a side of a photo (at most 100000 mm or px)");
  }
  IdPhotoOptions largest;
  largest.standard = find_photo_standard("100000x100000mm");
  largest.dpi = kMaxDpi;
  EXPECT_EQ(code_of([&] { validate(largest); }), ErrorCode::invalid_argument);  // out of reach, no overflow
  EXPECT_EQ(pixel_size(largest.standard, kMaxDpi).width, 4'724'409);
}

// No copy overlaps another, copies are the layout's gap apart (or share an edge when it is 0), and
// every copy lies inside the sheet's margins.
void expect_cuttable(const SheetLayout& layout) {
  struct Rect {
    int left, top, right, bottom;
  };
  std::vector<Rect> rects;
  for (const PlacedPhoto& p : layout.photos) {
    const int w = p.turned ? layout.photo_height : layout.photo_width;
    const int h = p.turned ? layout.photo_width : layout.photo_height;
    rects.push_back({p.left, p.top, p.left + w, p.top + h});
    EXPECT_GE(p.left, layout.margin);
    EXPECT_GE(p.top, layout.margin);
    EXPECT_LE(p.left + w, layout.width - layout.margin);
    EXPECT_LE(p.top + h, layout.height - layout.margin);
  }
  const int gap = layout.gap;
  for (size_t i = 0; i < rects.size(); ++i)
    for (size_t j = i + 1; j < rects.size(); ++j) {
      const Rect& a = rects[i];
      const Rect& b = rects[j];
      const bool apart = a.right + gap <= b.left || b.right + gap <= a.left || a.bottom + gap <= b.top ||
                         b.bottom + gap <= a.top;
      EXPECT_TRUE(apart) << "copies " << i << " and " << j << " overlap or are closer than " << gap << " px";
    }
}

TEST(PrintSheet, HoldsAsManyCopiesAsFit) {
  // At 300 DPI a 6-inch sheet is 1200x1800 px; margins and gaps are 2 mm (24 px) unless copies
  // edge to edge, inside the margin or out to the paper's edge, hold more.
  struct Case {
    std::string size, sheet;
    size_t copies;
    int turned, margin, gap;
  };
  for (const auto& c : std::vector<Case>{
           {"us-visa", "6inch", 6, 0, 0, 0},       // 2x2 in: 2x3 edge to edge fill 4x6 in, as photo shops print
           {"1inch", "6inch", 16, 0, 0, 0},        // 4x4 edge to edge (13 with gaps)
           {"2inch", "6inch", 8, 0, 0, 0},         // (6 with gaps)
           {"2inch", "5inch", 5, 2, 24, 0},        // edge to edge inside the margins (4 with gaps)
           {"small-2inch", "5inch", 5, 2, 24, 24},  // 3 upright in a row, 2 turned below: gaps cost nothing
           {"japan-visa", "6inch", 6, 0, 24, 24},
       }) {
    const PixelSize px = pixel_size(find_photo_standard(c.size), 300);
    const SheetLayout layout = plan_sheet(find_sheet_size(c.sheet), px.width, px.height, 300);
    EXPECT_EQ(layout.photos.size(), c.copies) << c.size << " on " << c.sheet;
    EXPECT_EQ(std::count_if(layout.photos.begin(), layout.photos.end(), [](const PlacedPhoto& p) { return p.turned; }),
              c.turned)
        << c.size << " on " << c.sheet;
    EXPECT_EQ(layout.margin, c.margin) << c.size << " on " << c.sheet;
    EXPECT_EQ(layout.gap, c.gap) << c.size << " on " << c.sheet;
    EXPECT_EQ(std::min(layout.width, layout.height), c.sheet == "6inch" ? 1200 : 1050);
    expect_cuttable(layout);
  }
  EXPECT_EQ(code_of([] { plan_sheet(find_sheet_size("5inch"), 2000, 2000, 300); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([] { find_sheet_size("a4"); }), ErrorCode::invalid_argument);
}

TEST(PrintSheet, DrawsEveryCopyWithACutLine) {
  init_vips();
  struct Case {
    int width, height;
    const char* paper;
  };
  // 1-inch copies edge to edge on 6-inch paper; small 2-inch ones with gaps on 5-inch paper.
  for (const Case c : {Case{295, 413, "6inch"}, Case{413, 531, "5inch"}}) {
    const vips::VImage photo = (vips::VImage::black(c.width, c.height, vips::VImage::option()->set("bands", 3)) + 40)
                                   .cast(VIPS_FORMAT_UCHAR)
                                   .copy(vips::VImage::option()->set("xres", 300 / 25.4)->set("yres", 300 / 25.4));
    const SheetLayout layout = plan_sheet(find_sheet_size(c.paper), c.width, c.height, 300);
    EXPECT_EQ(layout.gap > 0, std::string(c.paper) == "5inch");
    const vips::VImage sheet = render_sheet(photo, layout);
    EXPECT_EQ(sheet.width(), layout.width);
    EXPECT_NEAR(sheet.xres() * 25.4, 300, 0.01);
    for (const PlacedPhoto& p : layout.photos) {
      EXPECT_EQ(sheet.getpoint(p.left + 100, p.top + 100)[0], 40);  // the photo
      if (layout.gap > 0) {
        EXPECT_EQ(sheet.getpoint(p.left - 1, p.top + 100)[0], 150);  // its cut line, on the paper
        EXPECT_EQ(sheet.getpoint(p.left - 5, p.top + 100)[0], 255);  // white paper
      } else {
        EXPECT_EQ(sheet.getpoint(p.left, p.top + 100)[0], 150);  // its cut line, on its edge
        EXPECT_EQ(sheet.getpoint(p.left + 1, p.top + 100)[0], 40);
      }
    }
  }
}

vips::VImage noisy_photo() {
  init_vips();
  return vips::VImage::gaussnoise(600, 600, vips::VImage::option()->set("sigma", 40.0)->set("mean", 128.0))
      .bandjoin({vips::VImage::gaussnoise(600, 600), vips::VImage::gaussnoise(600, 600)})
      .cast(VIPS_FORMAT_UCHAR)
      .copy(vips::VImage::option()
                ->set("interpretation", VIPS_INTERPRETATION_sRGB)
                ->set("xres", 300 / 25.4)
                ->set("yres", 300 / 25.4));
}

TEST(EncodePhoto, WritesTheDpiIntoJpegAndPng) {
  const vips::VImage photo = noisy_photo();
  for (const OutputFormat format : {OutputFormat::jpeg, OutputFormat::png}) {
    const Image back = decode_image(encode_photo(photo, format).bytes);
    EXPECT_NEAR(back.rgb.xres() * 25.4, 300, 0.05) << extension(format);
    EXPECT_NEAR(back.rgb.yres() * 25.4, 300, 0.05) << extension(format);
  }
  // A JPEG has it in the JFIF header too: "JFIF", version 1.2, dots per inch, 300 x 300.
  const std::string jpeg = encode_photo(photo, OutputFormat::jpeg).bytes;
  EXPECT_EQ(jpeg.substr(0, 4), "\xFF\xD8\xFF\xE0");
  EXPECT_EQ(jpeg.substr(6, 12), std::string("JFIF\0\x01\x02\x01\x01\x2C\x01\x2C", 12));
  EXPECT_EQ(code_of([&] { encode_photo(photo, OutputFormat::webp); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { encode_photo(photo, OutputFormat::png, 50 * 1024); }), ErrorCode::invalid_argument);
}

TEST(EncodePhoto, MeetsAFileSizeTargetWithTheHighestQualityThatFits) {
  const vips::VImage photo = noisy_photo();
  const size_t full = encode_photo(photo, OutputFormat::jpeg).bytes.size();
  const size_t target = full / 3;
  const EncodedPhoto small = encode_photo(photo, OutputFormat::jpeg, target);
  EXPECT_LE(small.bytes.size(), target);
  EXPECT_LT(small.quality, 95);
  EXPECT_GT(encode_photo(photo, OutputFormat::jpeg, std::nullopt, small.quality + 1).bytes.size(), target)
      << "one step of quality more would not fit";

  try {
    encode_photo(photo, OutputFormat::jpeg, 1024);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::file_size_unreachable);
    EXPECT_NE(std::string(e.what()).find("cannot be made as small as 1 KB"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rmbg
