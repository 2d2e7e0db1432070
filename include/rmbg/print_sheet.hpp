#pragma once
// Print sheets: as many copies of an ID photo as fit on a photo paper size, with a thin cut line
// around each, laid out to waste the least paper.
#include <string>
#include <string_view>
#include <vector>

#include <vips/vips8>

namespace rmbg {

struct SheetSize {
  std::string name;   // "6inch"
  std::string title;  // "6-inch (4x6 in)"
  double short_mm = 0;
  double long_mm = 0;
};

const std::vector<SheetSize>& sheet_sizes();
// Throws invalid_argument listing the names.
const SheetSize& find_sheet_size(std::string_view name);

struct PlacedPhoto {
  int left = 0;
  int top = 0;
  bool turned = false;  // a quarter turn, where that fits more copies
};

struct SheetLayout {
  int width = 0;  // the sheet, in pixels, portrait or landscape as the copies fit best
  int height = 0;
  int photo_width = 0;  // one copy, upright
  int photo_height = 0;
  int margin = 0;  // the least paper left at the sheet's edges, in pixels
  int gap = 0;     // between neighbouring copies; 0 when they share their edges
  std::vector<PlacedPhoto> photos;
};

// Copies are 2 mm apart and at least 2 mm from the sheet's edges, so that a cut a little off the
// line leaves white paper, not a neighbour's background, unless copies edge to edge hold more:
// first inside the 2 mm margin, then out to the paper's edge, as photo shops print them (six US
// 2x2 in photos on a 4x6 in sheet); the cut lines then sit on the copies' edges. Rows of upright
// copies may be followed by rows of turned ones (or columns by columns), whichever holds the
// most. Throws invalid_argument when not one copy fits.
SheetLayout plan_sheet(const SheetSize& sheet, int photo_width, int photo_height, int dpi);

// The sheet, white, with `photo` at every place of `layout` and its DPI set from `photo`.
vips::VImage render_sheet(const vips::VImage& photo, const SheetLayout& layout);

}  // namespace rmbg
