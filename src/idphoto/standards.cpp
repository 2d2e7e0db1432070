// The table of photo standards and the parsing of custom sizes.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "rmbg/error.hpp"
#include "rmbg/idphoto.hpp"

namespace rmbg {
namespace {

constexpr double kMmPerInch = 25.4;

// The Chinese print sizes (1-inch, 2-inch and their variants) have no head rule of their own.
// Studios place the head as the exit-entry standard does on its 48 mm photo (head 28 to 33 mm,
// crown 3 to 5 mm below the top); the ranges below are those proportions of each height.
constexpr const char* kChinesePrintSource =
    "size: the Chinese photo print sizes; head: no rule of its own, so the proportions of the "
    "exit-entry photo standard (head 28-33 mm and crown 3-5 mm from the top of 48 mm)";

constexpr const char* kNoTopMarginRule = "; no rule for the space above the head: rmbg leaves 3-5 mm";

const PhotoStandard& schengen() {
  static const PhotoStandard standard{
      "schengen", "Schengen visa, EU passport", 35, 45, {32, 36}, Range{3, 5}, std::nullopt,
      std::string("ICAO Doc 9303 part 3 and the EU visa photo guidelines: the face, chin to crown, "
                  "70-80% of the height, 32-36 mm") + kNoTopMarginRule};
  return standard;
}

// A side beyond this (in mm or px) is no photograph; refusing it here keeps every later
// conversion to pixels far inside the range of an int.
constexpr double kMaxSide = 100'000;

struct CustomSize {
  double width = 0;
  double height = 0;
  bool pixels = false;
};

// Digits, with at most one decimal point between digits; nullopt for anything else. Throws for a
// side too large to be a photograph's.
std::optional<double> side_length(std::string_view text) {
  const auto digits = [](std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const size_t point = text.find('.');
  if (!digits(text.substr(0, point)) || (point != std::string_view::npos && !digits(text.substr(point + 1))))
    return std::nullopt;
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);  // cannot fail: digits, and short
  if (value > kMaxSide)
    throw Error(ErrorCode::invalid_argument, std::string(text) + " is too large for a side of a photo (at most " +
                                                 std::to_string(static_cast<int>(kMaxSide)) + " mm or px)");
  return value;
}

// "WxHmm" or "WxHpx", read left to right without backtracking; nullopt when `text` is not one.
std::optional<CustomSize> custom_size(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  const std::string_view unit = text.substr(text.size() - 2);
  if (unit != "mm" && unit != "px") return std::nullopt;
  text.remove_suffix(2);
  const size_t times = text.find('x');
  if (times == std::string_view::npos) return std::nullopt;
  const auto width = side_length(text.substr(0, times));
  const auto height = side_length(text.substr(times + 1));
  if (!width || !height) return std::nullopt;
  return CustomSize{*width, *height, unit == "px"};
}

}  // namespace

const std::vector<PhotoStandard>& photo_standards() {
  static const std::vector<PhotoStandard> standards{
      {"1inch", "1-inch", 25, 35, {20.4, 24.1}, Range{2.2, 3.6}, std::nullopt, kChinesePrintSource},
      {"small-1inch", "small 1-inch", 22, 32, {18.7, 22}, Range{2, 3.3}, std::nullopt, kChinesePrintSource},
      {"large-1inch", "large 1-inch", 33, 48, {28, 33}, Range{3, 5}, std::nullopt, kChinesePrintSource},
      {"2inch", "2-inch", 35, 49, {28.6, 33.7}, Range{3.1, 5.1}, std::nullopt, kChinesePrintSource},
      {"small-2inch", "small 2-inch", 35, 45, {26.3, 30.9}, Range{2.8, 4.7}, std::nullopt, kChinesePrintSource},
      {"cn-passport", "China passport and travel documents", 33, 48, {28, 33}, Range{3, 5}, std::nullopt,
       "National Immigration Administration of China, photo guide for exit-entry documents "
       "(nia.gov.cn): head 28-33 mm chin to crown, crown 3-5 mm below the top edge"},
      // 2 x 2 in; head 1 to 1 3/8 in; eyes 1 1/8 to 1 3/8 in above the bottom edge.
      {"us-visa", "US passport and visa", 2 * kMmPerInch, 2 * kMmPerInch, {25.4, 34.9}, std::nullopt,
       Range{28.6, 34.9},
       "U.S. Department of State, passport photo requirements (travel.state.gov): head 1 to 1 3/8 in "
       "chin to crown, eyes 1 1/8 to 1 3/8 in above the bottom edge"},
      schengen(),
      {"japan-visa", "Japan visa", 45, 45, {32, 36}, Range{2, 6}, std::nullopt,
       "size: Embassy of Japan in China, visa photo 45x45 mm; head: the embassy gives none, so the "
       "rule of Japanese passport photos (mofa.go.jp): head 34 +/- 2 mm, crown 4 +/- 2 mm below the top"},
      {"uk-passport", "UK passport", 35, 45, {29, 34}, Range{3, 5}, std::nullopt,
       std::string("GOV.UK, photos for passports (gov.uk/photos-for-passports): head 29-34 mm chin to "
                   "crown") + kNoTopMarginRule},
  };
  return standards;
}

PhotoStandard find_photo_standard(std::string_view name, int dpi) {
  check_length(name);
  for (const auto& standard : photo_standards())
    if (standard.name == name) return standard;

  const auto custom = custom_size(name);
  const std::string text(name);
  if (!custom) {
    std::string known;
    for (const auto& standard : photo_standards()) known += (known.empty() ? "" : ", ") + standard.name;
    throw Error(ErrorCode::invalid_argument,
                "unknown photo size '" + text + "' (" + known + ", or WxHmm, or WxHpx)");
  }
  double width = custom->width, height = custom->height;
  if (custom->pixels) {
    width = width / dpi * kMmPerInch;
    height = height / dpi * kMmPerInch;
  }
  const PhotoStandard& model = schengen();
  const double scale = height / model.height_mm;
  return PhotoStandard{text,
                       "custom " + text,
                       width,
                       height,
                       {model.head_height_mm.min * scale, model.head_height_mm.max * scale},
                       Range{model.top_margin_mm->min * scale, model.top_margin_mm->max * scale},
                       std::nullopt,
                       "custom size, with the proportions of the ICAO 35x45 mm photo"};
}

PixelSize pixel_size(const PhotoStandard& standard, int dpi) {
  return {static_cast<int>(std::lround(standard.width_mm / kMmPerInch * dpi)),
          static_cast<int>(std::lround(standard.height_mm / kMmPerInch * dpi))};
}

}  // namespace rmbg
