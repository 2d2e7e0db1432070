#include <gtest/gtest.h>

#include <cmath>

#include "rmbg/render.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

// Pixels of `image` over `r`, computed by one request for exactly that rectangle.
std::vector<double> request(const vips::VImage& image, const VipsRect& r) {
  const vips::VImage values = image.cast(VIPS_FORMAT_DOUBLE);
  VipsRegion* region = vips_region_new(values.get_image());
  const bool failed = vips_region_prepare(region, &r) != 0;
  std::vector<double> out;
  for (int y = 0; !failed && y < r.height; ++y) {
    const auto* row = reinterpret_cast<const double*>(VIPS_REGION_ADDR(region, r.left, r.top + y));
    out.insert(out.end(), row, row + static_cast<size_t>(r.width) * image.bands());
  }
  g_object_unref(region);
  if (failed) ADD_FAILURE() << vips_error_buffer();
  return out;
}

// The largest difference between `image` computed whole, in one request, and in tiles of
// `tile_width` x `tile_height`.
double seam_error(const vips::VImage& image, int tile_width, int tile_height) {
  const int w = image.width(), h = image.height(), bands = image.bands();
  const std::vector<double> whole = request(image, {0, 0, w, h});
  double worst = 0;
  for (int top = 0; top < h; top += tile_height)
    for (int left = 0; left < w; left += tile_width) {
      const VipsRect r{left, top, std::min(tile_width, w - left), std::min(tile_height, h - top)};
      const std::vector<double> tile = request(image, r);
      for (int y = 0; y < r.height; ++y)
        for (int i = 0; i < r.width * bands; ++i)
          worst = std::max(worst, std::abs(tile[static_cast<size_t>(y) * r.width * bands + i] -
                                           whole[(static_cast<size_t>(top + y) * w + left) * bands + i]));
    }
  return worst;
}

// A photograph with its own transparency, large enough for the foreground's wide pass to run on
// blocks, cut out with both looks of the `best` preset (the second over part of the frame), the
// alpha snapped and the colours estimated: every part of the pipeline that works by region.
Cutout full_cutout(Image& photo) {
  init_vips();
  // The left half of the photograph is transparent.
  const vips::VImage rgb = vips::VImage::new_from_file(test::sample("coffee.png").c_str()).resize(1.8);
  const vips::VImage right_half =
      (vips::VImage::xyz(rgb.width(), rgb.height())[0] >= rgb.width() / 2).cast(VIPS_FORMAT_UCHAR);
  photo = decode_image(test::to_bytes(rgb.bandjoin(right_half), ".png"));
  EXPECT_TRUE(photo.alpha.has_value());
  const int w = photo.width(), h = photo.height();
  EXPECT_GT(ForegroundEstimator::block_size(w, h), 1);
  // A made-up model alpha: a soft disc, and the photograph as the model saw it.
  auto model_alpha = [](int size, double radius) {
    Matte m(size, size);
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        m.at(x, y) = std::clamp(
            static_cast<float>((radius - std::hypot(x - size / 2.0, y - size / 2.0)) / 4 + 0.5), 0.0f, 1.0f);
    return m;
  };
  auto seen = [&](const Region& r, int size) {
    return to_rgb(photo.rgb.extract_area(r.left, r.top, r.width, r.height)
                      .resize(static_cast<double>(size) / r.width,
                              vips::VImage::option()->set("vscale", static_cast<double>(size) / r.height)));
  };
  const Region frame{0, 0, w, h}, close{w / 3, h / 4, w / 2, h / 2};
  std::vector<Cutout::Look> looks;
  looks.push_back({frame, AlphaField::guided(model_alpha(96, 30), seen(frame, 96), w, h)});
  looks.push_back(
      {close, AlphaField::guided(model_alpha(64, 28), seen(close, 64), close.width, close.height)});
  Cutout cutout(photo, std::move(looks), SnapLimits{});
  cutout.estimate_foreground();
  return cutout;
}

TEST(Cutout, RegionsOfAnySizeGiveWhatTheWholeImageGives) {
  Image photo;
  const Cutout cutout = full_cutout(photo);
  OutputSpec on_colour;
  on_colour.background = parse_colour("blue");
  on_colour.depth = 16;
  for (const auto& [tw, th] : {std::pair{37, 23}, std::pair{128, 128}, std::pair{photo.width(), 3}}) {
    EXPECT_EQ(seam_error(cutout.alpha(), tw, th), 0.0) << tw << "x" << th;
    EXPECT_LT(seam_error(cutout.foreground(), tw, th), 1e-5) << tw << "x" << th;
    // Quantised, a colour a hair's breadth from a rounding boundary may round either way.
    EXPECT_LE(seam_error(cutout.composed({}), tw, th), 1.0) << tw << "x" << th;
    EXPECT_LE(seam_error(cutout.composed(on_colour), tw, th), 1.0) << tw << "x" << th;
  }
}

TEST(Cutout, KeepsWhatThePhotographHadTransparent) {
  Image photo;
  const Cutout cutout = full_cutout(photo);
  const vips::VImage out = cutout.composed({});
  const int x = photo.width() / 2, y = photo.height() / 2;  // inside the disc
  EXPECT_GT(cutout.alpha().getpoint(x - 5, y)[0], 0.9);
  EXPECT_EQ(out.getpoint(x - 5, y)[3], 0);
  EXPECT_EQ(out.getpoint(x + 5, y)[3], 255);
}

}  // namespace
}  // namespace rmbg
