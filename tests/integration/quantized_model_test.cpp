// The int8 model that `rmbg models quantize` made (scripts/bootstrap makes it) against the fp32
// model it was made from, on a photograph that is not among its calibration photographs.
#include <gtest/gtest.h>

#include <cmath>

#include "rmbg/engine.hpp"
#include "rmbg/image.hpp"
#include "rmbg/models.hpp"
#include "support.hpp"

namespace rmbg {
namespace {

// The model's alpha for `photo` squashed to side x side.
Matte predict(const std::string& model, const vips::VImage& photo, int side) {
  const ModelSpec spec = ModelManifest::load().find(model);
  if (model_state(spec, false) == ModelState::missing)
    ADD_FAILURE() << model << " is not in the cache: run scripts/bootstrap --tests";
  const Engine engine(spec);
  return engine.predict(photo.thumbnail_image(
      side, vips::VImage::option()->set("height", side)->set("size", VIPS_SIZE_FORCE)));
}

class QuantizedModel : public testing::TestWithParam<int> {};

// At the full input size and at the smallest side the models take (their size is free).
TEST_P(QuantizedModel, AgreesWithTheFp32ModelOnAPhotograph) {
  const int side = GetParam();
  const ModelSpec qdq = ModelManifest::load().find("isnet-qdq");
  ASSERT_TRUE(qdq.made_from.has_value());
  for (const auto& photo : qdq.made_from->photos) ASSERT_NE(photo, "horse.png");
  const vips::VImage photo = read_image(test::sample("horse.png")).rgb;
  const Matte reference = predict("isnet-fp32", photo, side);
  const Matte quantised = predict("isnet-qdq", photo, side);
  EXPECT_EQ(quantised.width, side);
  EXPECT_EQ(quantised.height, side);
  ASSERT_EQ(reference.alpha.size(), quantised.alpha.size());
  double sum = 0, foreground = 0;
  for (std::size_t i = 0; i < reference.alpha.size(); ++i) {
    sum += std::fabs(reference.alpha[i] - quantised.alpha[i]);
    foreground += reference.alpha[i] >= 0.5f;
  }
  const double n = static_cast<double>(reference.alpha.size());
  EXPECT_GT(foreground / n, 0.1) << "the fp32 model should find the horse";
  EXPECT_LT(sum / n, 0.005) << "mean difference of the alphas";
  EXPECT_GT(test::iou(reference, quantised), 0.99);
}

INSTANTIATE_TEST_SUITE_P(Sides, QuantizedModel, testing::Values(1024, 768));

}  // namespace
}  // namespace rmbg
