// ID photos made with the real models from a real portrait: the scikit-image astronaut (NASA,
// public domain), whole, tilted, doubled, cut off; and a cat for a photo with no face.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "rmbg/error.hpp"
#include "rmbg/idphoto.hpp"
#include "rmbg/matte.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

using test::sample;

// Measured by hand on astronaut.png (512x512): the top of the hair, the middle of the eyes as
// BlazeFace places it, and the bottom of the chin.
constexpr double kCrownY = 15, kEyesY = 102, kChinY = 175;

class IdPhotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    init_vips();
    const ModelManifest manifest = ModelManifest::load();
    matting_ = new Engine(manifest.find(manifest.default_model));
    faces_ = new FaceDetector(manifest.find(manifest.face_detector));
  }
  static void TearDownTestSuite() {
    delete matting_;
    delete faces_;
  }
  static IdPhoto make(const Image& photo, const IdPhotoOptions& options) {
    return IdPhotoMaker(*matting_, *faces_).make(photo, options);
  }
  static Image astronaut() { return read_image(sample("astronaut.png")); }
  static Image from(const vips::VImage& rgb) { return Image{rgb.copy_memory(), std::nullopt, "png"}; }
  // A 2-inch photo on blue, checking that the head is sized and placed by the rule.
  static IdPhoto two_inch_on_blue(const vips::VImage& portrait);

  static Engine* matting_;
  static FaceDetector* faces_;
};
Engine* IdPhotoTest::matting_ = nullptr;
FaceDetector* IdPhotoTest::faces_ = nullptr;

double degrees(const Face& face) {
  return std::atan2(face.left_eye.y - face.right_eye.y, face.left_eye.x - face.right_eye.x) * 180 /
         std::numbers::pi;
}

// Where the head is in an ID photo, found from its pixels and its face alone: the crown is the
// first row whose middle differs from the background at that row's edge, the eyes are where the
// face detector sees them, and the chin follows from the astronaut's own proportions.
struct Measured {
  double head_mm, top_margin_mm, eye_line_mm, eyes_off_centre, roll;
};

Measured measure(const vips::VImage& image, const FaceDetector& faces, int dpi) {
  const std::vector<Face> found = faces.detect(image);
  EXPECT_EQ(found.size(), 1u);
  if (found.empty()) return {};
  const Face& face = found.front();
  const double eyes_x = (face.right_eye.x + face.left_eye.x) / 2;
  const double eyes_y = (face.right_eye.y + face.left_eye.y) / 2;
  int crown = -1;
  for (int y = 0; y < image.height() && crown < 0; ++y) {
    const std::vector<double> edge = image.getpoint(0, y);
    for (int x = image.width() / 4; x < image.width() * 3 / 4 && crown < 0; ++x) {
      const std::vector<double> p = image.getpoint(x, y);
      for (int c = 0; c < 3; ++c)
        if (std::abs(p[c] - edge[c]) > 40) crown = y;
    }
  }
  const double px_per_mm = dpi / 25.4;
  const double chin = eyes_y + (kChinY - kEyesY) * (eyes_y - crown) / (kEyesY - kCrownY);
  return {(chin - crown) / px_per_mm, crown / px_per_mm, (image.height() - eyes_y) / px_per_mm,
          (eyes_x - image.width() / 2.0) / image.width(), degrees(face)};
}

const Colour kBlue = parse_colour("blue");

IdPhoto IdPhotoTest::two_inch_on_blue(const vips::VImage& portrait) {
  IdPhotoOptions options;
  options.standard = find_photo_standard("2inch");
  options.background = kBlue;
  IdPhoto result = make(from(portrait), options);
  const Measured m = measure(result.image, *faces_, 300);
  EXPECT_TRUE(options.standard.head_height_mm.contains(m.head_mm)) << m.head_mm;
  EXPECT_TRUE(options.standard.top_margin_mm->contains(m.top_margin_mm)) << m.top_margin_mm;
  return result;
}

TEST_F(IdPhotoTest, TheFaceDetectorFindsTheAstronautsEyesAndMouth) {
  const std::vector<Face> faces = faces_->detect(astronaut().rgb);
  ASSERT_EQ(faces.size(), 1u);
  const Face& face = faces.front();
  EXPECT_GT(face.score, 0.8);
  // By hand: pupils at (203, 101) and (246, 103), middle of the lips at (224, 147).
  EXPECT_NEAR(face.right_eye.x, 203, 4);
  EXPECT_NEAR(face.right_eye.y, 101, 4);
  EXPECT_NEAR(face.left_eye.x, 246, 4);
  EXPECT_NEAR(face.left_eye.y, 103, 4);
  EXPECT_NEAR(face.mouth.x, 224, 5);
  EXPECT_NEAR(face.mouth.y, 147, 6);
}

TEST_F(IdPhotoTest, MeetsEachStandardOnARealPortrait) {
  struct Case {
    std::string size, background;
    std::vector<double> rgb;  // the background as 8-bit values
  };
  for (const auto& c : std::vector<Case>{{"1inch", "blue", {0x43, 0x8e, 0xdb}},
                                        {"us-visa", "white", {255, 255, 255}},
                                        {"schengen", "#e8e8e8", {0xe8, 0xe8, 0xe8}},
                                        {"cn-passport", "red", {255, 0, 0}}}) {
    IdPhotoOptions options;
    options.standard = find_photo_standard(c.size);
    options.background = parse_colour(c.background);
    const IdPhoto result = make(astronaut(), options);
    const PixelSize size = pixel_size(options.standard, 300);
    ASSERT_EQ(result.image.width(), size.width) << c.size;
    ASSERT_EQ(result.image.height(), size.height) << c.size;
    EXPECT_NEAR(result.image.xres() * 25.4, 300, 0.01) << c.size;
    for (const auto& [x, y] : std::vector<std::pair<int, int>>{{0, 0}, {size.width - 1, 0}})
      EXPECT_EQ(result.image.getpoint(x, y), c.rgb) << c.size << " corner " << x << "," << y;
    EXPECT_EQ(result.image.getpoint(0, size.height / 2), c.rgb) << c.size << ", left edge";

    const Measured m = measure(result.image, *faces_, 300);
    const PhotoStandard& s = options.standard;
    EXPECT_TRUE(s.head_height_mm.contains(m.head_mm)) << c.size << ": head " << m.head_mm << " mm";
    if (s.top_margin_mm)
      EXPECT_TRUE(s.top_margin_mm->contains(m.top_margin_mm)) << c.size << ": crown " << m.top_margin_mm << " mm";
    else
      EXPECT_TRUE(s.eye_line_mm->contains(m.eye_line_mm)) << c.size << ": eyes " << m.eye_line_mm << " mm";
    EXPECT_LT(std::abs(m.eyes_off_centre), 0.03) << c.size;
    EXPECT_LT(std::abs(m.roll), 2.0) << c.size;
    EXPECT_NEAR(result.placement.head_height_mm, s.head_height_mm.middle(), 0.05) << c.size;
    EXPECT_EQ(result.placement.continued_mm, 0) << c.size << ": the astronaut is photographed down to the chest";
  }
}

TEST_F(IdPhotoTest, LevelsATiltedHeadAndFadesAGradient) {
  // The astronaut turned 15 degrees, the corners filled with the photo's own grey backdrop.
  const vips::VImage tilted = astronaut().rgb.similarity(
      vips::VImage::option()->set("angle", 15.0)->set("background", std::vector<double>{190, 185, 190}));
  IdPhotoOptions options;
  options.standard = find_photo_standard("2inch");
  options.background = parse_colour("#438edb");
  options.gradient_to = parse_colour("white");
  const IdPhoto result = make(from(tilted.cast(VIPS_FORMAT_UCHAR)), options);
  EXPECT_NEAR(result.placement.roll_degrees, 15 + 2.5, 2.0) << "the astronaut's own eye line is 2-3 degrees off";
  const Measured m = measure(result.image, *faces_, 300);
  EXPECT_LT(std::abs(m.roll), 2.0) << "levelled";
  EXPECT_TRUE(options.standard.head_height_mm.contains(m.head_mm)) << m.head_mm;
  EXPECT_EQ(result.image.getpoint(0, 0), (std::vector<double>{0x43, 0x8e, 0xdb}));
  EXPECT_EQ(result.image.getpoint(result.image.width() - 1, 0), (std::vector<double>{0x43, 0x8e, 0xdb}));
  // Beside the head, a third of the way down: a third of the way from the blue to white.
  const int y = result.image.height() / 3;
  const double t = static_cast<double>(y) / (result.image.height() - 1);
  const std::vector<double> side = result.image.getpoint(0, y);
  const std::vector<double> blue{0x43, 0x8e, 0xdb};
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(side[c], blue[c] * (1 - t) + 255 * t, 1) << "channel " << c;
}

// Whether the pixel shows the background colour rather than the person.
bool is_background(const RgbImage& image, int x, int y, const Colour& background) {
  for (int c = 0; c < 3; ++c)
    if (std::abs(image.pixel(x, y)[c] - background.rgb[c]) > 12 / 255.0) return false;
  return true;
}

// Whether the person goes on from (x, y) to the edge of the image in the direction (dx, dy), with no
// background between.
bool person_to_the_edge(const RgbImage& image, int x, int y, int dx, int dy, const Colour& background) {
  for (; x >= 0 && y >= 0 && x < image.width && y < image.height; x += dx, y += dy)
    if (is_background(image, x, y, background)) return false;
  return true;
}

TEST_F(IdPhotoTest, ThePersonReachesTheBottomEdgeFromAPortraitCutUnderTheShoulders) {
  // The astronaut turned 5 degrees and cut off just under the shoulders, as a portrait taken with a
  // phone often is: levelled, the photograph's bottom edge runs slanted through the ID photo.
  const vips::VImage tilted = astronaut().rgb.similarity(
      vips::VImage::option()->set("angle", 5.0)->set("background", std::vector<double>{190, 185, 190}));
  const IdPhoto result = two_inch_on_blue(tilted.extract_area(0, 0, tilted.width(), 250).cast(VIPS_FORMAT_UCHAR));
  EXPECT_GT(result.placement.continued_mm, 0.5) << "the clothing is continued, and the result says so";
  EXPECT_LT(result.placement.continued_mm, 0.08 * 49);
  const RgbImage pixels = to_rgb(result.image);
  // Where the person is, a little above the bottom, they go on down to the bottom edge.
  const int from_row = pixels.height * 88 / 100;
  int reaching = 0;
  for (int x = 0; x < pixels.width; ++x) {
    if (is_background(pixels, x, from_row, kBlue)) continue;
    EXPECT_TRUE(person_to_the_edge(pixels, x, from_row, 0, 1, kBlue)) << "column " << x;
    ++reaching;
  }
  EXPECT_GT(reaching, pixels.width * 8 / 10) << "the shoulders span most of the width";
}

TEST_F(IdPhotoTest, TheShouldersReachTheSideWhereThePhotoCutsThemOffJustInside) {
  // Cut off on the left through the shoulder, a little inside where a 2-inch photo's edge falls.
  const IdPhoto result = two_inch_on_blue(astronaut().rgb.extract_area(150, 0, 362, 512));
  EXPECT_GT(result.placement.continued_mm, 0.5);
  const RgbImage pixels = to_rgb(result.image);
  const int from_column = pixels.width / 8;
  // Up from the bottom, the person reaches the side edge on every row until the shoulder's own
  // slope turns away from it: no row of background between the body and the edge below that.
  int reaching = 0;
  while (reaching < pixels.height &&
         person_to_the_edge(pixels, from_column, pixels.height - 1 - reaching, -1, 0, kBlue))
    ++reaching;
  EXPECT_GT(reaching, pixels.height / 8) << "the shoulder reaches the side along the bottom";
  for (int y = pixels.height - reaching - 1; y > pixels.height / 2; --y)
    EXPECT_FALSE(person_to_the_edge(pixels, from_column, y, -1, 0, kBlue) &&
                 !is_background(pixels, from_column, y + 1, kBlue) &&
                 !person_to_the_edge(pixels, from_column, y + 1, -1, 0, kBlue))
        << "row " << y << " reaches the side above a row that does not";
  // Beside the head nothing is continued: the background stays.
  EXPECT_TRUE(is_background(pixels, 0, pixels.height / 3, kBlue));
}

std::string error_of(const std::function<void()>& action, ErrorCode expected) {
  try {
    action();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST_F(IdPhotoTest, RefusesPhotosThatCannotMakeAnIdPhoto) {
  IdPhotoOptions options;
  options.standard = find_photo_standard("1inch");
  const vips::VImage one = astronaut().rgb;
  const vips::VImage two = one.join(one.flip(VIPS_DIRECTION_HORIZONTAL), VIPS_DIRECTION_HORIZONTAL);
  EXPECT_EQ(error_of([&] { make(from(two), options); }, ErrorCode::several_faces),
            "2 faces found: an ID photo shows one person");
  EXPECT_NE(error_of([&] { make(read_image(sample("chelsea.png")), options); }, ErrorCode::no_face)
                .find("no face found"),
            std::string::npos);
  // The photo cut off through the hair: the head's height cannot be known.
  const vips::VImage cut = one.extract_area(0, 40, 512, 472);
  EXPECT_NE(error_of([&] { make(from(cut), options); }, ErrorCode::head_cut_off).find("top of the head is cut off"),
            std::string::npos);
  // Cut off at the chin, or through both shoulders at the sides: too much of the person would have
  // to be made up.
  options.standard = find_photo_standard("2inch");
  EXPECT_NE(error_of([&] { make(from(one.extract_area(0, 0, 512, 180)), options); }, ErrorCode::body_cut_off)
                .find("photograph the person down to the chest"),
            std::string::npos);
  EXPECT_NE(error_of([&] { make(from(one.extract_area(160, 0, 150, 512)), options); }, ErrorCode::body_cut_off)
                .find("the side of the photo cuts through the shoulders"),
            std::string::npos);
}

}  // namespace
}  // namespace rmbg
