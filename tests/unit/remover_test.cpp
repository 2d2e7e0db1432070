#include "rmbg/remover.hpp"

#include <gtest/gtest.h>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

// A model-resolution matte with an opaque box from (x0, y0) to (x1, y1), exclusive.
Matte box_matte(int size, int x0, int y0, int x1, int y1) {
  Matte m(size, size);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.at(x, y) = 1.0f;
  return m;
}

TEST(SubjectRegion, FramesASmallSubjectWithAMarginAndKeepsItsAspectWhereItCan) {
  // 1000x500 photograph; the subject spans x 400..500, y 200..300 at model scale 100x100 -> 10x5.
  const Matte low = box_matte(100, 40, 40, 50, 60);
  const auto r = subject_region(low, 1000, 500);
  ASSERT_TRUE(r);
  // The box is 100x100 in the photograph; 10% each side makes a 120x120 square around it.
  EXPECT_EQ(r->width, 120);
  EXPECT_EQ(r->height, 120);
  EXPECT_EQ(r->left, 390);
  EXPECT_EQ(r->top, 190);
}

TEST(SubjectRegion, StaysInsideThePhotograph) {
  const Matte low = box_matte(100, 0, 0, 20, 20);  // a subject in the top-left corner
  const auto r = subject_region(low, 800, 800);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->left, 0);
  EXPECT_EQ(r->top, 0);
  EXPECT_EQ(r->width, 192);
  EXPECT_EQ(r->height, 192);
}

TEST(SubjectRegion, IsNoneWhenTheSubjectFillsTheFrameOrIsAbsent) {
  EXPECT_FALSE(subject_region(box_matte(100, 10, 10, 90, 90), 640, 480));
  EXPECT_FALSE(subject_region(Matte(100, 100), 640, 480));
}

TEST(LetterboxRegion, FitsThePhotographAndCentresIt) {
  const Region wide = letterbox_region(854, 480, 1024, 1024);
  EXPECT_EQ(wide.width, 1024);
  EXPECT_EQ(wide.height, 576);
  EXPECT_EQ(wide.left, 0);
  EXPECT_EQ(wide.top, 224);
  const Region tall = letterbox_region(321, 481, 1024, 1024);
  EXPECT_EQ(tall.width, 683);
  EXPECT_EQ(tall.height, 1024);
  EXPECT_EQ(tall.left, 170);
  EXPECT_EQ(tall.top, 0);
  const Region square = letterbox_region(500, 500, 1024, 1024);
  EXPECT_EQ(square.width, 1024);
  EXPECT_EQ(square.left, 0);
}

TEST(Presets, ParseTheirNamesAndRefuseOthers) {
  for (const Preset p : {Preset::raw, Preset::fast, Preset::balanced, Preset::best})
    EXPECT_EQ(parse_preset(preset_name(p)), p);
  EXPECT_EQ(kDefaultPreset, Preset::balanced);
  EXPECT_THROW(parse_preset("slow"), Error);
}

}  // namespace
}  // namespace rmbg
