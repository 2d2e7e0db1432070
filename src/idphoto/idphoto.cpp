// From a portrait to an ID photo: find the face, cut the person out, level the eyes, and crop and
// scale so that the head has the size and place the standard asks for.
#include "rmbg/idphoto.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <tuple>

#include "rmbg/error.hpp"
#include "rmbg/remover.hpp"

namespace rmbg {
namespace {

constexpr double kMmPerInch = 25.4;

// The chin lies this many times the eyes-to-mouth distance below the eyes, along the face's own
// vertical axis. Measured by hand on the two sample portraits (1.51 and 1.55, one of them smiling);
// BlazeFace has no landmark on the chin itself.
constexpr double kChinFromEyes = 1.53;

// Before the matte gives the crown, the head is taken to be this many times the eyes-to-chin
// distance tall: 2.2 on the astronaut, 2.3 on a portrait with a cap. It only sizes the part of the
// photograph that is cut out.
constexpr double kHeadFromEyesToChin = 2.3;

// The person is cut out at this many times the pixels the result needs (never more than the
// photograph has): enough for clean edges after the final reduction, without cutting out a 4K
// photograph at full size for a 413x531 result.
constexpr double kWorkingOversample = 2;

// Alpha from which a pixel belongs to the person when the matte is followed outwards from the face,
// and from which a pixel counts as part of the head when looking for the crown.
constexpr double kPersonAlpha = 0.02;
constexpr double kHeadAlpha = 0.5;

// Where the photograph ends inside the result's frame and cuts the person, the person is continued
// from its last rows: this many times the head's height of them (enough to see which way the
// shoulders' outline runs, few enough to stay on the clothing), with the outline soft over a
// hundredth of the head, about as soft as the cut-out's own edges. The outline moves by at most one
// pixel a row, so that a noisy fit cannot fan out.
constexpr double kEdgeBand = 0.05;
constexpr double kEdgeFeather = 0.01;
constexpr double kMaxOutlineSlope = 1;
// How deep into the result, as a share of its height, the person may be continued; beyond it the
// photograph is refused. 8% is a strip of clothing at the bottom (4 mm of a 2-inch photo): there
// a continued colour passes, a continued neck or chest would not.
constexpr double kMaxContinuedShare = 0.08;

struct Vec {
  double x = 0, y = 0;
};
Vec operator-(Point a, Point b) { return {a.x - b.x, a.y - b.y}; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y; }

// Coordinates along the face: `a` along the eye line (towards the person's left eye), `b` down the
// face, perpendicular to it; both from the middle of the eyes, in pixels of the photograph.
struct FaceFrame {
  Point eyes;       // the middle between the eyes
  Vec across, down;  // unit vectors
  double roll = 0;   // radians: how far the eye line is turned from level
  double chin_b = 0;
  double centre_a = 0;  // middle of the face across: the mean of eyes, nose and mouth
  double half_width = 0;

  explicit FaceFrame(const Face& face) {
    eyes = {(face.right_eye.x + face.left_eye.x) / 2, (face.right_eye.y + face.left_eye.y) / 2};
    const Vec eye_line = face.left_eye - face.right_eye;
    roll = std::atan2(eye_line.y, eye_line.x);
    across = {std::cos(roll), std::sin(roll)};
    down = {-std::sin(roll), std::cos(roll)};
    chin_b = kChinFromEyes * dot(face.mouth - eyes, down);
    centre_a = (dot(face.nose - eyes, across) + dot(face.mouth - eyes, across)) / 4;
    half_width = std::max(face.width, face.height) / 2;
  }
  double a(Point p) const { return dot(p - eyes, across); }
  double b(Point p) const { return dot(p - eyes, down); }
  Point at(double a, double b) const {
    return {eyes.x + a * across.x + b * down.x, eyes.y + a * across.y + b * down.y};
  }
};

struct Box {
  int left, top, width, height;
};

// Where the result's frame lies along the face: its left edge, top edge and size, in pixels of the
// photograph, and the scale from those to the result's pixels.
struct Frame {
  double left_a, top_b, width, height, scale;
  bool contains(double a, double b) const {
    return a >= left_a && a <= left_a + width && b >= top_b && b <= top_b + height;
  }
};

// A head height and where the head goes (the crown below the top, or the eyes above the bottom,
// whichever the standard rules), in millimetres on the result.
struct Placement {
  double head_mm, position_mm;
};

Placement middle_placement(const PhotoStandard& standard) {
  return {standard.head_height_mm.middle(),
          (standard.top_margin_mm ? *standard.top_margin_mm : *standard.eye_line_mm).middle()};
}

// The frame that gives a head of `head` photograph pixels from `crown_b` to the chin its place.
Frame place_frame(const IdPhotoOptions& options, const FaceFrame& face, double crown_b, double head,
                  const Placement& placement) {
  const PixelSize size = pixel_size(options.standard, options.dpi);
  const double px_per_mm = options.dpi / kMmPerInch;
  const double scale = placement.head_mm * px_per_mm / head;
  const double top_b = options.standard.top_margin_mm
                           ? crown_b - placement.position_mm * px_per_mm / scale
                           : -(size.height - placement.position_mm * px_per_mm) / scale;
  const double width = size.width / scale;
  return {face.centre_a - width / 2, top_b, width, size.height / scale, scale};
}

// Placements from the middle of what the standard allows out to half way to its limits, nearest
// the middle first. Not further: the chin is estimated, and the result must stay inside the rule.
std::vector<Placement> placements_to_try(const PhotoStandard& standard) {
  const Range& position = standard.top_margin_mm ? *standard.top_margin_mm : *standard.eye_line_mm;
  const Placement middle = middle_placement(standard);
  const double head_step = (standard.head_height_mm.max - standard.head_height_mm.min) / 8;
  const double position_step = (position.max - position.min) / 8;
  std::vector<std::pair<int, Placement>> steps;
  for (int h = -2; h <= 2; ++h)
    for (int p = -2; p <= 2; ++p)
      steps.push_back({h * h + p * p, {middle.head_mm + h * head_step, middle.position_mm + p * position_step}});
  std::stable_sort(steps.begin(), steps.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<Placement> out;
  for (const auto& step : steps) out.push_back(step.second);
  return out;
}

// An area of the photograph's plane, in its pixels; it may reach past the photograph's edges.
struct Extent {
  double left = INFINITY, top = INFINITY, right = -INFINITY, bottom = -INFINITY;
  void add(Point p) {
    left = std::min(left, p.x), right = std::max(right, p.x);
    top = std::min(top, p.y), bottom = std::max(bottom, p.y);
  }
};

// The frame grown by `grow` times its size on every side, added to `extent`.
void add_frame(Extent& extent, const FaceFrame& face, const Frame& frame, double grow) {
  const double a0 = frame.left_a - grow * frame.width, a1 = frame.left_a + (1 + grow) * frame.width;
  const double b0 = frame.top_b - grow * frame.height, b1 = frame.top_b + (1 + grow) * frame.height;
  for (const Point corner : {face.at(a0, b0), face.at(a1, b0), face.at(a0, b1), face.at(a1, b1)}) extent.add(corner);
}

// The pixels of a `width` x `height` photograph inside `extent`, at least one.
Box inside(const Extent& extent, int width, int height) {
  const int l = std::clamp(static_cast<int>(std::floor(extent.left)), 0, width - 1);
  const int t = std::clamp(static_cast<int>(std::floor(extent.top)), 0, height - 1);
  const int r = std::clamp(static_cast<int>(std::ceil(extent.right)), l + 1, width);
  const int b = std::clamp(static_cast<int>(std::ceil(extent.bottom)), t + 1, height);
  return {l, t, r - l, b - t};
}

// Keeps the part of the matte that is joined to the face: objects the model also kept (a chair, a
// poster, a second shoulder-high thing) and faint specks far from the person go.
void keep_person(Matte& alpha, const Box& face_box) {
  std::vector<unsigned char> reached(alpha.alpha.size(), 0);
  std::vector<int> stack;
  for (int y = std::max(0, face_box.top); y < std::min(alpha.height, face_box.top + face_box.height); ++y)
    for (int x = std::max(0, face_box.left); x < std::min(alpha.width, face_box.left + face_box.width); ++x)
      if (alpha.at(x, y) >= kHeadAlpha) {
        const int i = y * alpha.width + x;
        reached[i] = 1;
        stack.push_back(i);
      }
  if (stack.empty())
    throw Error(ErrorCode::no_face, "a face was found, but no person around it could be cut out");
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    const int x = i % alpha.width, y = i / alpha.width;
    const auto visit = [&](int nx, int ny) {
      if (nx < 0 || ny < 0 || nx >= alpha.width || ny >= alpha.height) return;
      const int n = ny * alpha.width + nx;
      if (reached[n] || alpha.alpha[n] < kPersonAlpha) return;
      reached[n] = 1;
      stack.push_back(n);
    };
    visit(x - 1, y), visit(x + 1, y), visit(x, y - 1), visit(x, y + 1);
  }
  for (size_t i = 0; i < reached.size(); ++i)
    if (!reached[i]) alpha.alpha[i] = 0;
}

// The highest point of the head above the eyes, as `b` in the frame of `face`; the head is what the
// matte holds within the face's width.
std::optional<double> crown_b(const Matte& alpha, const FaceFrame& face) {
  std::optional<double> crown;
  for (int y = 0; y < alpha.height; ++y)
    for (int x = 0; x < alpha.width; ++x) {
      if (alpha.at(x, y) < kHeadAlpha) continue;
      const Point p{x + 0.5, y + 0.5};
      if (std::abs(face.a(p) - face.centre_a) > face.half_width) continue;
      const double b = face.b(p) - 0.5;  // the pixel's upper edge
      if (b < 0 && (!crown || b < *crown)) crown = b;
    }
  return crown;
}

// What the result's frames cover, grown by a hundredth of their size for the reach of the
// resampling filters at their edges: how far past the photograph's left, right and bottom edges
// (above the head the photograph's edge is background and needs nothing), and the part of the
// photograph inside, the only part whose colours are needed.
struct Padding {
  int left = 0, right = 0, bottom = 0;
  Box photo{0, 0, 0, 0};
};

Padding padding_for(const std::vector<Frame>& frames, const FaceFrame& face, int width, int height) {
  Extent covered;
  for (const Frame& frame : frames) add_frame(covered, face, frame, 0.01);
  const auto past = [](double distance) { return std::max(0, static_cast<int>(std::ceil(distance))); };
  return {past(-covered.left), past(covered.right - width), past(covered.bottom - height),
          inside(covered, width, height)};
}

// One edge of the photograph inside the padded cut-out. `along` runs along the edge, `out` counts
// rows outwards from it: 0 is the first row past the photograph, -1 the photograph's last.
struct Edge {
  int x0 = 0, y0 = 0;                  // the pixel at along 0, out 0
  int ax = 0, ay = 0, ox = 0, oy = 0;  // one step along the edge, one step outwards
  int begin = 0, length = 0;           // the part of the edge to continue past: along from begin to length
  int depth = 0;                       // rows to fill past it
  // +1: the outline may only widen outwards (under the shoulders a body gets no narrower going
  // down); -1: it may only narrow (past the side of the photograph the shoulders' line only falls).
  int spread = 1;
  int x(int along, int out) const { return x0 + along * ax + out * ox; }
  int y(int along, int out) const { return y0 + along * ay + out * oy; }
};

// A least-squares line through points (x, y).
struct LineFit {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  void add(double x, double y) { n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y; }
  // The line's value at `x`, its slope kept between `low` and `high`.
  double at(double x, double low, double high) const {
    const double spread = n * sxx - sx * sx;
    const double slope = spread > 0 ? (n * sxy - sx * sy) / spread : 0;
    return sy / n + std::clamp(slope, low, high) * (x - sx / n);
  }
};

// Continues the person past `edge` where the photograph cuts them: the two sides of their outline
// go on as they run over the last `band` rows, and each place along the edge keeps the mean colour
// those rows have there, so the clothing goes on with its own colours and folds.
void continue_person(Matte& alpha, RgbImage& colour, const Edge& edge, int band, double feather) {
  if (edge.depth <= 0) return;
  LineFit first, last;
  std::vector<double> weight(edge.length, 0);
  std::vector<std::array<double, 3>> sum(edge.length, {0, 0, 0});
  bool cut = false;  // the person reaches the edge
  for (int out = -band; out < 0; ++out) {
    int lo = -1, hi = -1;
    for (int i = edge.begin; i < edge.length; ++i) {
      const int x = edge.x(i, out), y = edge.y(i, out);
      const float a = alpha.at(x, y);
      weight[i] += a;
      for (int c = 0; c < 3; ++c) sum[i][c] += a * colour.pixel(x, y)[c];
      if (a < kHeadAlpha) continue;
      if (lo < 0) lo = i;
      hi = i;
    }
    if (lo < 0) continue;
    first.add(out, lo), last.add(out, hi);
    cut = out == -1;
  }
  if (!cut) return;
  // Places with no person in the band (between an arm and the body) take the nearest colour.
  std::vector<int> source(edge.length, -1);
  for (int i = 0, seen = -1; i < edge.length; ++i) source[i] = seen = weight[i] > 0 ? i : seen;
  for (int i = edge.length - 1, seen = -1; i >= 0; --i) {
    if (weight[i] > 0) seen = i;
    if (seen >= 0 && (source[i] < 0 || seen - i < i - source[i])) source[i] = seen;
  }
  const double widen = edge.spread * kMaxOutlineSlope;
  for (int out = 0; out < edge.depth; ++out) {
    const double lo = first.at(out, std::min(0.0, -widen), std::max(0.0, -widen)) - 0.5;
    const double hi = last.at(out, std::min(0.0, widen), std::max(0.0, widen)) + 0.5;
    for (int i = edge.begin; i < edge.length; ++i) {
      const double cover =
          std::clamp((i - lo) / feather + 0.5, 0.0, 1.0) * std::clamp((hi - i) / feather + 0.5, 0.0, 1.0);
      if (cover <= 0) continue;
      const int x = edge.x(i, out), y = edge.y(i, out);
      alpha.at(x, y) = static_cast<float>(cover);
      for (int c = 0; c < 3; ++c)
        colour.pixel(x, y)[c] = static_cast<float>(sum[source[i]][c] / weight[source[i]]);
    }
  }
}

// How deep into the result the person continued past the photograph's edges reaches in `frame`, in
// the result's pixels, and whether that deepest place is below the photograph or beside it.
struct Continued {
  double depth = 0;
  bool below = true;
};

Continued continued_in(const Matte& alpha, const Padding& pad, int width, int height, const FaceFrame& face,
                       const Frame& frame) {
  Continued most;
  for (int y = 0; y < alpha.height; ++y)
    for (int x = 0; x < alpha.width; ++x) {
      if (y < height && x == pad.left) x += width;  // the photograph's own pixels
      if (x >= alpha.width || alpha.at(x, y) < kHeadAlpha) continue;
      const Point p{x - pad.left + 0.5, y + 0.5};
      if (!frame.contains(face.a(p), face.b(p))) continue;
      const double beside = std::max({0, pad.left - x, x - pad.left - width + 1});
      const double below = std::max(0, y - height + 1);
      const double depth = std::hypot(beside, below) * frame.scale;
      if (depth > most.depth) most = {depth, below >= beside};
    }
  return most;
}

vips::VImage solid(int width, int height, const Colour& colour) {
  return vips::VImage::black(width, height, vips::VImage::option()->set("bands", 3))
      .linear(std::vector<double>{1, 1, 1}, std::vector<double>{colour.rgb[0], colour.rgb[1], colour.rgb[2]});
}

vips::VImage background(int width, int height, const IdPhotoOptions& options) {
  const vips::VImage top = solid(width, height, options.background);
  if (!options.gradient_to) return top;
  const vips::VImage fraction = vips::VImage::xyz(width, height)[1] / std::max(1, height - 1);
  return top * (1 - fraction) + solid(width, height, *options.gradient_to) * fraction;
}

// The photograph as the pipeline needs it: sRGB (the background colours are sRGB), no transparency
// (transparent parts are background, shown as white).
Image as_opaque_srgb(const Image& photo) {
  Image out = photo;
  if (out.alpha) {
    const double white = photo.is_16bit() ? 65535 : 255;
    out.rgb = out.rgb.bandjoin(*out.alpha)
                  .flatten(vips::VImage::option()->set("background", std::vector<double>(3, white))
                               ->set("max_alpha", white))
                  .cast(photo.rgb.format());
    out.alpha.reset();
  }
  if (out.rgb.get_typeof(VIPS_META_ICC_NAME) != 0)
    out.rgb = out.rgb.icc_transform("srgb", vips::VImage::option()->set("embedded", true)
                                                ->set("depth", photo.is_16bit() ? 16 : 8));
  return out;
}

// libvips writes the DPI of a JPEG into its EXIF only, with no JFIF header at all; upload forms and
// print shops often read the JFIF header's density. The segment goes first, where JFIF wants it.
std::string with_jfif_density(std::string jpeg, int dpi) {
  const auto high = static_cast<char>(dpi >> 8), low = static_cast<char>(dpi & 0xff);
  const char segment[] = {'\xFF', '\xE0', 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1 /* dots per inch */,
                          high, low, high, low, 0, 0};
  jpeg.insert(2, segment, sizeof segment);
  return jpeg;
}

std::string count_text(size_t count) { return std::to_string(count) + (count == 1 ? " face" : " faces"); }

}  // namespace

void validate(const IdPhotoOptions& options) {
  if (options.dpi < kMinDpi || options.dpi > kMaxDpi)
    throw Error(ErrorCode::invalid_argument, "the DPI must be between " + std::to_string(kMinDpi) + " and " +
                                                 std::to_string(kMaxDpi));
  const PixelSize size = pixel_size(options.standard, options.dpi);
  if (size.width < 64 || size.height < 64 || size.width > 8000 || size.height > 8000)
    throw Error(ErrorCode::invalid_argument,
                "a " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                    " px photo is out of reach: each side must be 64 to 8000 px");
}

IdPhoto IdPhotoMaker::make(const Image& original, const IdPhotoOptions& options, const CutOptions& cut_options) const {
  validate(options);
  const Image photo = as_opaque_srgb(original);
  const std::vector<Face> faces = faces_.detect(photo.rgb);
  if (faces.empty())
    throw Error(ErrorCode::no_face,
                "no face found: an ID photo needs a face looking at the camera, at least about a "
                "tenth of the photo wide");
  if (faces.size() > 1)
    throw Error(ErrorCode::several_faces, count_text(faces.size()) + " found: an ID photo shows one person");
  const FaceFrame face(faces.front());
  if (face.chin_b <= 0)
    throw Error(ErrorCode::no_face, "the face found is not upright enough to tell where its chin is");

  // Cut out only the part of the photograph around the frame the head will need, at about twice
  // the result's resolution: the model then sees the person large, and no time goes on pixels the
  // result does not use.
  const double estimated_head = kHeadFromEyesToChin * face.chin_b;
  const Frame estimate = place_frame(options, face, face.chin_b - estimated_head, estimated_head,
                                    middle_placement(options.standard));
  Extent around;
  add_frame(around, face, estimate, 0.5);
  const Box region = inside(around, photo.width(), photo.height());
  const double shrink = std::min(1.0, kWorkingOversample * estimate.scale);
  Image working;
  working.format = photo.format;
  working.rgb = photo.rgb.extract_area(region.left, region.top, region.width, region.height);
  if (shrink < 1) working.rgb = working.rgb.resize(shrink);
  const double scale_x = static_cast<double>(working.width()) / region.width;
  const double scale_y = static_cast<double>(working.height()) / region.height;
  const Cutout cutout = Remover(matting_).cut(working, cut_options);
  Matte alpha_matte = to_matte(cutout.alpha());

  // The face's frame in the working image's pixels.
  const auto to_working = [&](Point p) {
    return Point{(p.x - region.left + 0.5) * scale_x - 0.5, (p.y - region.top + 0.5) * scale_y - 0.5};
  };
  Face scaled = faces.front();
  for (Point* p : {&scaled.right_eye, &scaled.left_eye, &scaled.nose, &scaled.mouth})
    *p = to_working(*p);
  scaled.width *= scale_x, scaled.height *= scale_y;
  const FaceFrame work_face(scaled);
  const Point face_centre = to_working({faces.front().left + faces.front().width / 2,
                                        faces.front().top + faces.front().height / 2});
  const int face_half = static_cast<int>(work_face.half_width / 2);
  keep_person(alpha_matte, {static_cast<int>(face_centre.x) - face_half, static_cast<int>(face_centre.y) - face_half,
                             2 * face_half + 1, 2 * face_half + 1});

  const std::optional<double> crown = crown_b(alpha_matte, work_face);
  if (!crown) throw Error(ErrorCode::head_cut_off, "no head was found above the eyes");
  // A head that reaches the photograph's top edge may go on above it: its height is unknown.
  const Point top_of_head = work_face.at(work_face.centre_a, *crown + 1);
  if (region.top == 0 && top_of_head.y < 2)
    throw Error(ErrorCode::head_cut_off,
                "the top of the head is cut off by the edge of the photo: an ID photo needs the whole "
                "head, with some background above it");

  const double head = work_face.chin_b - *crown;
  const PixelSize size = pixel_size(options.standard, options.dpi);

  // Where the photograph ends inside the result and cuts the person (under the shoulders, or
  // beside them), the person is continued past its edge; the placement within the rule that needs
  // the least of that is taken, nearest the middle.
  std::vector<Frame> frames;
  for (const Placement& placement : placements_to_try(options.standard))
    frames.push_back(place_frame(options, work_face, *crown, head, placement));
  const int width = alpha_matte.width, height = alpha_matte.height;
  const Padding pad = padding_for(frames, work_face, width, height);
  const int padded_width = width + pad.left + pad.right, padded_height = height + pad.bottom;
  Matte alpha_padded = to_matte(to_vips(alpha_matte).embed(pad.left, 0, padded_width, padded_height));
  // The colours are estimated where they are asked for: only inside the frames.
  RgbImage person_colour =
      to_rgb(cutout.foreground()
                 .extract_area(pad.photo.left, pad.photo.top, pad.photo.width, pad.photo.height)
                 .embed(pad.left + pad.photo.left, pad.photo.top, padded_width, padded_height));
  const int band = std::max(2, static_cast<int>(std::lround(kEdgeBand * head)));
  const double feather = std::max(1.0, kEdgeFeather * head);
  continue_person(alpha_padded, person_colour,
                  {.x0 = pad.left, .y0 = height, .ax = 1, .oy = 1, .length = width, .depth = pad.bottom, .spread = 1},
                  std::min(band, height), feather);
  // Sideways only the shoulders go on, from the chin down: never the head.
  const int chin_row = std::clamp(static_cast<int>(work_face.at(work_face.centre_a, work_face.chin_b).y), 0, height);
  for (const auto& [x0, outwards, depth] : {std::tuple{pad.left - 1, -1, pad.left}, {pad.left + width, 1, pad.right}})
    continue_person(alpha_padded, person_colour,
                    {.x0 = x0, .ay = 1, .ox = outwards, .begin = chin_row, .length = height + pad.bottom,
                     .depth = depth, .spread = -1},
                    std::min(band, width), feather);
  size_t chosen = 0;
  Continued least = continued_in(alpha_padded, pad, width, height, work_face, frames[0]);
  for (size_t i = 1; i < frames.size() && least.depth > 0; ++i) {
    const Continued continued = continued_in(alpha_padded, pad, width, height, work_face, frames[i]);
    if (continued.depth < least.depth - 1) chosen = i, least = continued;  // a pixel's gain is no reason to move
  }
  if (least.depth > kMaxContinuedShare * size.height)
    throw Error(ErrorCode::body_cut_off,
                least.below ? "the photo ends too close under the chin for this size, which shows the shoulders: "
                              "photograph the person down to the chest"
                            : "the side of the photo cuts through the shoulders where this size shows them: "
                              "photograph the person from further away, down to the chest");
  const Frame& frame = frames[chosen];

  // The person premultiplied by their alpha, so that reducing and turning mix colour and coverage
  // together; the background goes in afterwards, at the result's size.
  const vips::VImage alpha = to_vips(alpha_padded);
  vips::VImage person = (to_vips(person_colour) * alpha).bandjoin(alpha);
  // Reduce with libvips' antialiasing filter first; the affine transform then only turns and moves.
  double reduce_x = 1, reduce_y = 1;
  if (frame.scale < 1) {
    const vips::VImage reduced = person.resize(frame.scale);
    reduce_x = static_cast<double>(reduced.width()) / person.width();
    reduce_y = static_cast<double>(reduced.height()) / person.height();
    person = reduced;
  }
  // Output = scale * R(-roll) * (working - eyes) + (the eyes' place in the output), with working
  // = (reduced + 0.5) / reduce - 0.5 - (the padding on the left, 0).
  const double c = std::cos(work_face.roll), s = std::sin(work_face.roll);
  const double kx = frame.scale / reduce_x, ky = frame.scale / reduce_y;
  const std::vector<double> matrix{c * kx, s * ky, -s * kx, c * ky};
  const double eyes_x = (0 - frame.left_a) * frame.scale, eyes_y = (0 - frame.top_b) * frame.scale;
  // Where the reduced image's origin lands: the eyes' place minus the transformed eyes.
  const double ex = (work_face.eyes.x + pad.left + 0.5) * reduce_x - 0.5;
  const double ey = (work_face.eyes.y + 0.5) * reduce_y - 0.5;
  const double offset_x = eyes_x - (matrix[0] * ex + matrix[1] * ey);
  const double offset_y = eyes_y - (matrix[2] * ex + matrix[3] * ey);
  const vips::VImage placed = person.affine(
      matrix, vips::VImage::option()
                  ->set("oarea", std::vector<int>{0, 0, size.width, size.height})
                  ->set("odx", offset_x)
                  ->set("ody", offset_y)
                  ->set("interpolate", vips::VInterpolate::new_from_name("bicubic")));
  // Bicubic interpolation overshoots at sharp edges: a premultiplied colour is only valid between 0
  // and its coverage, and below 0 it would draw a dark rim on the new background.
  vips::VImage coverage = placed[3];
  coverage = (coverage < 0).ifthenelse(0.0, coverage);
  coverage = (coverage > 1).ifthenelse(1.0, coverage);
  vips::VImage colour = placed.extract_band(0, vips::VImage::option()->set("n", 3));
  colour = (colour < 0).ifthenelse(0.0, colour);
  colour = (colour > coverage).ifthenelse(coverage, colour);
  const vips::VImage composed = colour + background(size.width, size.height, options) * (1.0 - coverage);
  const double px_per_mm = options.dpi / kMmPerInch;
  IdPhoto result;
  result.image = composed.linear(255.0, 0.5)
                     .cast(VIPS_FORMAT_UCHAR)
                     .copy(vips::VImage::option()
                               ->set("interpretation", VIPS_INTERPRETATION_sRGB)
                               ->set("xres", px_per_mm)
                               ->set("yres", px_per_mm))
                     .copy_memory();

  HeadPlacement& placement = result.placement;
  placement.head_height_mm = head * frame.scale / px_per_mm;
  placement.top_margin_mm = (*crown - frame.top_b) * frame.scale / px_per_mm;
  placement.eye_line_mm = (frame.top_b + frame.height) * frame.scale / px_per_mm;
  placement.roll_degrees = work_face.roll * 180 / std::numbers::pi;
  placement.enlargement = frame.scale * scale_x;
  placement.continued_mm = least.depth / px_per_mm;
  return result;
}

EncodedPhoto encode_photo(const vips::VImage& image, OutputFormat format, std::optional<std::size_t> max_bytes,
                          int quality) {
  if (format == OutputFormat::webp)
    throw Error(ErrorCode::invalid_argument, "an ID photo is a JPEG or a PNG");
  if (max_bytes && format != OutputFormat::jpeg)
    throw Error(ErrorCode::invalid_argument, "a file size target needs JPEG: PNG has no quality to lower");
  const int dpi = static_cast<int>(std::lround(image.xres() * kMmPerInch));
  const auto write = [&](int q) {
    void* buffer = nullptr;
    size_t length = 0;
    if (format == OutputFormat::png)
      image.write_to_buffer(".png", &buffer, &length, vips::VImage::option()->set("compression", 9));
    else
      image.write_to_buffer(".jpg", &buffer, &length,
                            vips::VImage::option()->set("Q", q)->set("optimize_coding", true));
    std::string bytes(static_cast<const char*>(buffer), length);
    g_free(buffer);
    return format == OutputFormat::jpeg ? with_jfif_density(std::move(bytes), dpi) : bytes;
  };
  if (format == OutputFormat::png) return {write(0), 0};
  EncodedPhoto best{write(quality), quality};
  if (!max_bytes || best.bytes.size() <= *max_bytes) return best;
  // The highest quality that fits: the file shrinks as the quality goes down.
  int low = 1, high = quality - 1;
  std::optional<EncodedPhoto> fitting;
  while (low <= high) {
    const int middle = (low + high) / 2;
    std::string bytes = write(middle);
    if (bytes.size() <= *max_bytes) {
      fitting = EncodedPhoto{std::move(bytes), middle};
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (!fitting) {
    const std::string smallest = write(1);
    const auto kb = [](std::size_t bytes) { return std::to_string((bytes + 1023) / 1024) + " KB"; };
    throw Error(ErrorCode::file_size_unreachable,
                "this photo cannot be made as small as " + kb(*max_bytes) + ": at the lowest JPEG quality it is " +
                    kb(smallest.size()));
  }
  return *fitting;
}

}  // namespace rmbg
