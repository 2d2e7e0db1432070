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

TEST(Steps, EachPresetAddsToTheOneBefore) {
  const CutSteps raw = preset_steps(Preset::raw), fast = preset_steps(Preset::fast);
  const CutSteps balanced = preset_steps(Preset::balanced), best = preset_steps(Preset::best);
  EXPECT_FALSE(raw.snap || raw.guided || raw.second_look || raw.subject_pass);
  EXPECT_TRUE(fast.snap && !fast.guided);
  EXPECT_TRUE(balanced.snap && balanced.guided && balanced.foreground_colours && !balanced.second_look);
  EXPECT_TRUE(best.second_look && !best.subject_pass);
  // No preset sizes the model's input by the photograph: it lost on photographs it was not chosen on.
  for (const CutSteps& s : {raw, fast, balanced, best}) EXPECT_FALSE(s.photo_sized_input);
}

TEST(Steps, ParseChangesToAPresetAndDescribeThemBack) {
  const CutSteps s = parse_steps("balanced,snap=0.1:0.9,second=letterbox:768:0.2:mean,input=photo");
  ASSERT_TRUE(s.snap && s.second_look);
  EXPECT_FLOAT_EQ(s.snap->low, 0.1f);
  EXPECT_FLOAT_EQ(s.snap->high, 0.9f);
  EXPECT_EQ(s.second_look->framing, Framing::letterbox);
  EXPECT_EQ(s.second_look->side, 768);
  EXPECT_DOUBLE_EQ(s.second_look->when_unsure, 0.2);
  EXPECT_EQ(s.second_look->merge, Merge::mean);
  EXPECT_TRUE(s.photo_sized_input && s.guided);
  const std::string text = describe_steps(s);
  EXPECT_EQ(text, "raw,input=photo,guided=on,snap=0.1:0.9,second=letterbox:768:0.2:mean,matting=off,subject=off,colours=on");
  EXPECT_EQ(describe_steps(parse_steps(text)), text);
  EXPECT_FALSE(parse_steps("best,second=off,snap=off").second_look);
}

TEST(Steps, RefuseWhatTheyCannotRead) {
  for (const char* bad : {"slow", "balanced,snap", "balanced,snap=0.6:0.9", "balanced,snap=0.1",
                          "balanced,second=sideways", "balanced,second=letterbox:768:2", "balanced,guided=yes",
                          "balanced,colour=on", "balanced,input=half", "balanced,snap=0.1:0.9x", "balanced,second=squash:0:0:best"})
    EXPECT_THROW(parse_steps(bad), Error) << bad;
}

}  // namespace
}  // namespace rmbg
