#include "rmbg/print_sheet.hpp"

#include <algorithm>
#include <cmath>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

constexpr double kMmPerInch = 25.4;
// The spacings tried, in order of preference: white paper between copies and around them, which
// forgives a cut a little off the line; copies edge to edge inside the margin; edge to edge to
// the paper's edge, as photo shops print (six 2x2 in photos on 4x6 in). A later one is taken
// only when it holds more copies.
struct Spacing {
  double margin_mm, gap_mm;
};
constexpr Spacing kSpacings[] = {{2, 2}, {2, 0}, {0, 0}};
// Cut lines: one pixel, a grey that shows on white paper and next to any background colour.
const std::vector<double> kCutLineGrey{150, 150, 150};

// How many copies of length `item` fit in `length`, `gap` apart.
int fit(int length, int item, int gap) { return length >= item ? (length + gap) / (item + gap) : 0; }

// Copies in a grid of `columns` x `rows` from (left, top), each `width` x `height`.
void add_grid(std::vector<PlacedPhoto>& photos, int left, int top, int columns, int rows, int width,
              int height, int gap, bool turned) {
  for (int row = 0; row < rows; ++row)
    for (int column = 0; column < columns; ++column)
      photos.push_back({left + column * (width + gap), top + row * (height + gap), turned});
}

// More copies are better; among as many, fewer turned ones.
bool better(const std::vector<PlacedPhoto>& a, const std::vector<PlacedPhoto>& b) {
  const auto turned = [](const std::vector<PlacedPhoto>& photos) {
    return std::count_if(photos.begin(), photos.end(), [](const PlacedPhoto& p) { return p.turned; });
  };
  return a.size() != b.size() ? a.size() > b.size() : turned(a) < turned(b);
}

// The best layout on a sheet of `width` x `height` (margins included): a block of copies in one
// orientation, then, in the rows below or the columns to the right, copies in the other.
std::vector<PlacedPhoto> best_on(int width, int height, int photo_width, int photo_height, int margin,
                                 int gap) {
  const int inner_width = width - 2 * margin, inner_height = height - 2 * margin;
  std::vector<PlacedPhoto> best;
  const auto consider = [&](std::vector<PlacedPhoto> photos) {
    if (better(photos, best)) best = std::move(photos);
  };
  for (const bool main_turned : {false, true}) {
    const int w = main_turned ? photo_height : photo_width, h = main_turned ? photo_width : photo_height;
    const int other_w = h, other_h = w;  // the other orientation
    const int columns = fit(inner_width, w, gap), rows = fit(inner_height, h, gap);
    for (int used_rows = 0; used_rows <= rows; ++used_rows) {  // the other orientation below
      std::vector<PlacedPhoto> photos;
      add_grid(photos, margin, margin, columns, used_rows, w, h, gap, main_turned);
      const int below = margin + used_rows * (h + gap);
      add_grid(photos, margin, below, fit(inner_width, other_w, gap), fit(height - margin - below, other_h, gap),
               other_w, other_h, gap, !main_turned);
      consider(std::move(photos));
    }
    for (int used_columns = 0; used_columns <= columns; ++used_columns) {  // the other to the right
      std::vector<PlacedPhoto> photos;
      add_grid(photos, margin, margin, used_columns, rows, w, h, gap, main_turned);
      const int right = margin + used_columns * (w + gap);
      add_grid(photos, right, margin, fit(width - margin - right, other_w, gap), fit(inner_height, other_h, gap),
               other_w, other_h, gap, !main_turned);
      consider(std::move(photos));
    }
  }
  return best;
}

}  // namespace

const std::vector<SheetSize>& sheet_sizes() {
  static const std::vector<SheetSize> sizes{
      {"6inch", "6-inch (4x6 in, 102x152 mm)", 4 * kMmPerInch, 6 * kMmPerInch},
      {"5inch", "5-inch (3.5x5 in, 89x127 mm)", 3.5 * kMmPerInch, 5 * kMmPerInch},
  };
  return sizes;
}

const SheetSize& find_sheet_size(std::string_view name) {
  check_length(name);
  for (const auto& size : sheet_sizes())
    if (size.name == name) return size;
  std::string known;
  for (const auto& size : sheet_sizes()) known += (known.empty() ? "" : ", ") + size.name;
  throw Error(ErrorCode::invalid_argument, "unknown print sheet '" + std::string(name) + "' (" + known + ")");
}

SheetLayout plan_sheet(const SheetSize& sheet, int photo_width, int photo_height, int dpi) {
  const auto px = [dpi](double mm) { return static_cast<int>(std::lround(mm / kMmPerInch * dpi)); };
  const int short_side = px(sheet.short_mm), long_side = px(sheet.long_mm);
  SheetLayout layout{short_side, long_side, photo_width, photo_height, 0, 0, {}};
  for (const Spacing& spacing : kSpacings) {
    const int margin = px(spacing.margin_mm), gap = px(spacing.gap_mm);
    SheetLayout portrait{short_side, long_side, photo_width, photo_height, margin, gap,
                         best_on(short_side, long_side, photo_width, photo_height, margin, gap)};
    SheetLayout landscape{long_side, short_side, photo_width, photo_height, margin, gap,
                          best_on(long_side, short_side, photo_width, photo_height, margin, gap)};
    SheetLayout& best = better(landscape.photos, portrait.photos) ? landscape : portrait;
    if (best.photos.size() > layout.photos.size()) layout = std::move(best);
  }
  if (layout.photos.empty())
    throw Error(ErrorCode::invalid_argument, "a " + std::to_string(photo_width) + "x" + std::to_string(photo_height) +
                                                 " px photo does not fit on a " + sheet.name + " sheet at " +
                                                 std::to_string(dpi) + " DPI");
  // The block of copies in the middle of the sheet: equal paper on opposite sides.
  int right = 0, bottom = 0;
  for (const PlacedPhoto& p : layout.photos) {
    right = std::max(right, p.left + (p.turned ? photo_height : photo_width));
    bottom = std::max(bottom, p.top + (p.turned ? photo_width : photo_height));
  }
  const int shift_x = (layout.width - right - layout.margin) / 2, shift_y = (layout.height - bottom - layout.margin) / 2;
  for (PlacedPhoto& p : layout.photos) p.left += shift_x, p.top += shift_y;
  return layout;
}

vips::VImage render_sheet(const vips::VImage& photo, const SheetLayout& layout) {
  vips::VImage sheet = (vips::VImage::black(layout.width, layout.height, vips::VImage::option()->set("bands", 3)) + 255)
                           .cast(VIPS_FORMAT_UCHAR)
                           .copy(vips::VImage::option()
                                     ->set("interpretation", VIPS_INTERPRETATION_sRGB)
                                     ->set("xres", photo.xres())
                                     ->set("yres", photo.yres()))
                           .copy_memory();
  const vips::VImage turned = photo.rot90();
  for (const PlacedPhoto& p : layout.photos) sheet.draw_image(p.turned ? turned : photo, p.left, p.top);
  // Around each copy on the paper between them; where copies touch, on their outermost pixels,
  // drawn after every copy so that no neighbour covers a line.
  const int outside = layout.gap > 0 ? 1 : 0;
  for (const PlacedPhoto& p : layout.photos) {
    const vips::VImage& copy = p.turned ? turned : photo;
    sheet.draw_rect(kCutLineGrey, p.left - outside, p.top - outside, copy.width() + 2 * outside,
                    copy.height() + 2 * outside);
  }
  return sheet;
}

}  // namespace rmbg
