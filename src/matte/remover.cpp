#include "rmbg/remover.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

constexpr std::array kPresetNames{"raw", "fast", "balanced", "best"};

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// Exactly `width` x `height`, aspect ignored: the model sees the whole frame.
vips::VImage resize_exact(const vips::VImage& image, int width, int height) {
  vips::VImage out = image.resize(static_cast<double>(width) / image.width(),
                                  vips::VImage::option()->set(
                                      "vscale", static_cast<double>(height) / image.height()));
  if (out.width() != width || out.height() != height)  // rounding in libvips: pad or trim a pixel
    out = out.embed(0, 0, width, height, vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
  return out;
}

// What the model is shown: transparent areas of the photograph are shown as white.
vips::VImage model_view(const Image& image) {
  if (!image.alpha) return image.rgb;
  const double white = image.is_16bit() ? 65535.0 : 255.0;
  return image.rgb.bandjoin(*image.alpha)
      .flatten(vips::VImage::option()->set("background", std::vector<double>(3, white))->set("max_alpha", white))
      .cast(image.rgb.format());
}

// The margin and the size limit were chosen with `rmbg eval`: a closer look at subjects that
// fill most of the frame changed little and cost a second inference.
constexpr double kRegionMargin = 0.10;        // of the subject's size, on each side
constexpr double kRegionMaxCoverage = 0.5;    // of the frame's area
constexpr float kSubjectThreshold = 0.5f;

constexpr std::array kFramingNames{"squash", "letterbox", "mirrored"};
constexpr std::array kMergeNames{"surer", "mean", "guarded"};

// 'text', quoted for a message.
std::string quote(std::string_view text) {
  std::string quoted(1, '\'');
  quoted.append(text);
  quoted.push_back('\'');
  return quoted;
}

[[noreturn]] void bad_steps(std::string_view text, const std::string& why) {
  throw Error(ErrorCode::invalid_argument, "steps " + quote(text) + ": " + why);
}

template <size_t N>
size_t index_of(std::string_view name, const std::array<const char*, N>& names, std::string_view text) {
  std::string known;
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return i;
    known.append(i ? ", " : "").append(names[i]);
  }
  bad_steps(text, quote(name) + " is not one of " + known);
}

bool parse_switch(std::string_view value, std::string_view text) {
  if (value == "on") return true;
  if (value == "off") return false;
  bad_steps(text, quote(value) + " is neither on nor off");
}

double parse_number(std::string_view value, double low, double high, std::string_view text) {
  const std::string s(value);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v >= low && v <= high))
    bad_steps(text, quote(s) + " is not a number from " + number(low) + " to " + number(high));
  return v;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

Preset parse_preset(std::string_view name) {
  check_length(name);
  for (size_t i = 0; i < kPresetNames.size(); ++i)
    if (name == kPresetNames[i]) return static_cast<Preset>(i);
  throw Error(ErrorCode::invalid_argument,
              "'" + std::string(name) + "' is not a preset (raw, fast, balanced or best)");
}

std::string_view preset_name(Preset preset) { return kPresetNames[static_cast<size_t>(preset)]; }

CutSteps preset_steps(Preset preset) {
  CutSteps steps;
  if (preset == Preset::raw) return steps;
  steps.snap = SnapLimits{};
  if (preset == Preset::fast) return steps;
  steps.guided = true;
  steps.foreground_colours = true;
  if (preset == Preset::balanced) return steps;
  // best's second view: with its aspect kept, at the full size, when more than a tenth of the
  // first view's alpha is unsure, the surer per pixel. Chosen by cross-validation; the closer
  // look at the subject that best also took cost DAVIS max F (docs/ACCURACY.md).
  steps.second_look = SecondLook{};
  return steps;
}

CutSteps parse_steps(std::string_view text) {
  const std::vector<std::string_view> parts = split(text, ',');
  CutSteps steps = preset_steps(parse_preset(parts[0]));
  for (size_t i = 1; i < parts.size(); ++i) {
    const size_t equals = parts[i].find('=');
    if (equals == std::string_view::npos) bad_steps(text, quote(parts[i]) + " is not KEY=VALUE");
    const std::string_view key = parts[i].substr(0, equals), value = parts[i].substr(equals + 1);
    if (key == "snap") {
      const auto limits = split(value, ':');
      if (value == "off")
        steps.snap.reset();
      else if (limits.size() == 2)
        steps.snap = SnapLimits{static_cast<float>(parse_number(limits[0], 0, 0.49, text)),
                                static_cast<float>(parse_number(limits[1], 0.51, 1, text))};
      else
        bad_steps(text, "snap takes LOW:HIGH or off");
    } else if (key == "guided") {
      steps.guided = parse_switch(value, text);
    } else if (key == "input") {
      if (value != "full" && value != "photo") bad_steps(text, "input takes full or photo");
      steps.photo_sized_input = value == "photo";
    } else if (key == "second") {
      const auto fields = split(value, ':');
      if (value == "off") {
        steps.second_look.reset();
        continue;
      }
      if (fields.size() > 4) bad_steps(text, "second takes FRAMING[:SIDE[:WHEN_UNSURE[:MERGE]]] or off");
      SecondLook look;
      look.framing = static_cast<Framing>(index_of(fields[0], kFramingNames, text));
      if (fields.size() > 1) look.side = static_cast<int>(parse_number(fields[1], 0, 8192, text));
      if (fields.size() > 2) look.when_unsure = parse_number(fields[2], 0, 1, text);
      if (fields.size() > 3) look.merge = static_cast<Merge>(index_of(fields[3], kMergeNames, text));
      steps.second_look = look;
    } else if (key == "matting") {
      steps.closed_form = parse_switch(value, text);
    } else if (key == "subject") {
      steps.subject_pass = parse_switch(value, text);
    } else if (key == "colours") {
      steps.foreground_colours = parse_switch(value, text);
    } else {
      bad_steps(text, "unknown key " + quote(key) + " (snap, guided, input, second, matting, subject, colours)");
    }
  }
  return steps;
}

std::string describe_steps(const CutSteps& steps) {
  const auto on_off = [](bool on) { return std::string(on ? "on" : "off"); };
  std::string text = "raw,input=" + std::string(steps.photo_sized_input ? "photo" : "full");
  text += ",guided=" + on_off(steps.guided);
  text += ",snap=" + (steps.snap ? number(steps.snap->low) + ":" + number(steps.snap->high) : "off");
  text += ",second=";
  if (const auto& look = steps.second_look)
    text += std::string(kFramingNames[static_cast<size_t>(look->framing)]) + ":" + std::to_string(look->side) +
            ":" + number(look->when_unsure) + ":" + kMergeNames[static_cast<size_t>(look->merge)];
  else
    text += "off";
  text += ",matting=" + on_off(steps.closed_form);
  text += ",subject=" + on_off(steps.subject_pass);
  text += ",colours=" + on_off(steps.foreground_colours);
  return text;
}

std::optional<Region> subject_region(const Matte& low, int width, int height) {
  int x0 = low.width, y0 = low.height, x1 = -1, y1 = -1;
  for (int y = 0; y < low.height; ++y)
    for (int x = 0; x < low.width; ++x)
      if (low.at(x, y) > kSubjectThreshold) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
  if (x1 < 0) return std::nullopt;  // no subject: nothing to look at closer
  const double sx = static_cast<double>(width) / low.width, sy = static_cast<double>(height) / low.height;
  const double box_w = (x1 + 1 - x0) * sx, box_h = (y1 + 1 - y0) * sy;
  const double centre_x = (x0 * sx + (x1 + 1) * sx) / 2, centre_y = (y0 * sy + (y1 + 1) * sy) / 2;
  const double side = std::max(box_w, box_h) * (1 + 2 * kRegionMargin);
  const double w = std::min(side, static_cast<double>(width)), h = std::min(side, static_cast<double>(height));
  if (w * h >= kRegionMaxCoverage * width * height) return std::nullopt;
  Region r;
  r.width = std::max(1, static_cast<int>(std::lround(w)));
  r.height = std::max(1, static_cast<int>(std::lround(h)));
  r.left = std::clamp(static_cast<int>(std::lround(centre_x - w / 2)), 0, width - r.width);
  r.top = std::clamp(static_cast<int>(std::lround(centre_y - h / 2)), 0, height - r.height);
  return r;
}

Region letterbox_region(int width, int height, int model_width, int model_height) {
  const double scale = std::min(static_cast<double>(model_width) / width, static_cast<double>(model_height) / height);
  Region r;
  r.width = std::clamp(static_cast<int>(std::lround(width * scale)), 1, model_width);
  r.height = std::clamp(static_cast<int>(std::lround(height * scale)), 1, model_height);
  r.left = (model_width - r.width) / 2;
  r.top = (model_height - r.height) / 2;
  return r;
}

// One look of the model at `view`: its alpha at model resolution (the view's part of the
// model's output), and the view as the model saw it, at the size of that alpha.
struct Remover::Pass {
  Matte low;
  vips::VImage guide;
};

std::pair<int, int> Remover::input_size(const vips::VImage& view, int side, const CutSteps& steps) const {
  const ModelInput& input = engine_.spec().input;
  if (side == 0)
    return steps.photo_sized_input ? input.size_for(view.width(), view.height()) : std::pair{input.width, input.height};
  if (input.size_for(side, side) != std::pair{side, side})
    throw Error(ErrorCode::invalid_argument, engine_.spec().name + " cannot take a " + std::to_string(side) + "x" +
                                                 std::to_string(side) + " input");
  return {side, side};
}

Remover::Pass Remover::look(const vips::VImage& view, Framing framing, std::pair<int, int> size,
                            StageTimes& times) const {
  using Clock = std::chrono::steady_clock;
  const auto [width, height] = size;
  // Where the view lands in the model's input, and in its output when that has another size.
  const auto placement = [&](int w, int h) {
    return framing == Framing::letterbox ? letterbox_region(view.width(), view.height(), w, h)
                                         : Region{0, 0, w, h};
  };
  const auto started = Clock::now();
  const Region content = placement(width, height);
  // Held in memory: the model's input and the guide of the refinement both read it, and
  // libvips would otherwise resize the full-resolution view once for each.
  const vips::VImage shown = resize_exact(view, content.width, content.height).copy_memory();
  const double grey = 0.5 / unit_scale(view);  // mid-grey in the view's own range
  vips::VImage model_input = shown;
  if (framing == Framing::letterbox)
    model_input = shown.embed(
        content.left, content.top, width, height,
        vips::VImage::option()->set("extend", VIPS_EXTEND_BACKGROUND)->set("background", std::vector<double>(3, grey)));
  if (framing == Framing::mirrored) model_input = shown.fliphor();
  Matte output = engine_.predict(model_input);
  if (framing == Framing::mirrored) output = to_matte(to_vips(output).fliphor());
  times.inference += std::chrono::duration<double>(Clock::now() - started).count();

  const Region part = output.width == width && output.height == height ? content
                                                                        : placement(output.width, output.height);
  const bool same = part.width == content.width && part.height == content.height;
  return {framing == Framing::letterbox ? output.crop(part) : std::move(output),
          same ? shown : resize_exact(view, part.width, part.height)};
}

Cutout::Look Remover::refine(const Pass& pass, const Region& region, const CutSteps& steps, StageTimes& times) const {
  const auto started = std::chrono::steady_clock::now();
  AlphaField alpha = steps.guided ? AlphaField::guided(pass.low, to_rgb(pass.guide), region.width, region.height)
                                  : AlphaField::stretched(pass.low, region.width, region.height);
  times.refinement += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {region, std::move(alpha)};
}

Cutout Remover::cut(const Image& image, const CutOptions& options, StageTimes* times) const {
  using Clock = std::chrono::steady_clock;
  const CutSteps steps = options.steps.value_or(preset_steps(options.preset));
  StageTimes spent;
  const vips::VImage view = model_view(image);
  const Region frame{0, 0, image.width(), image.height()};
  Pass whole = look(view, Framing::squash, input_size(view, 0, steps), spent);
  if (const auto& second = steps.second_look;
      second && (second->when_unsure == 0 || uncertain_share(whole.low.alpha) > second->when_unsure)) {
    // Squashed to the model's square, a subject is sometimes missed in part or taken for another
    // object; shown another way, the model often decides those pixels clearly.
    // At the full size unless said otherwise: with the aspect kept, less of a smaller square
    // would hold the photograph.
    const auto full = std::pair{engine_.spec().input.width, engine_.spec().input.height};
    const Pass other = look(view, second->framing, second->side ? input_size(view, second->side, steps) : full, spent);
    const Matte alpha = to_matte(resize_exact(to_vips(other.low), whole.low.width, whole.low.height));
    if (second->merge == Merge::mean)
      whole.low = mean_per_pixel(whole.low, alpha);
    else if (second->merge == Merge::surer || uncertain_share(alpha.alpha) < uncertain_share(whole.low.alpha))
      whole.low = surer_per_pixel(whole.low, alpha);
  }
  if (steps.closed_form) {
    const auto started = Clock::now();
    whole.low = solve_uncertain_band(whole.low, to_rgb(whole.guide));
    spent.refinement += std::chrono::duration<double>(Clock::now() - started).count();
  }
  std::vector<Cutout::Look> looks{refine(whole, frame, steps, spent)};
  if (steps.subject_pass)
    if (const auto r = subject_region(whole.low, image.width(), image.height())) {
      const vips::VImage subject = view.extract_area(r->left, r->top, r->width, r->height);
      looks.push_back(refine(look(subject, Framing::squash, input_size(subject, 0, steps), spent), *r, steps, spent));
    }

  const auto refining = Clock::now();
  Cutout cutout(image, std::move(looks), steps.snap);
  if (options.estimate_foreground && steps.foreground_colours) cutout.estimate_foreground();
  spent.refinement += std::chrono::duration<double>(Clock::now() - refining).count();
  if (times) *times = spent;
  return cutout;
}

}  // namespace rmbg
