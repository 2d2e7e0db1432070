// Flicker of `rmbg video`'s cut-outs, with the temporal filter and without it (every frame on its
// own), from the same model runs. bench/video.sh runs it; see there for the commands.
//
//   video_bench composite BACKGROUND_CLIP FRAMES MODEL_SIDE [VARIANT...]
//     A subject with an exact alpha (scikit-image's horse silhouette filled with cat fur) moves
//     over real footage: translation, scale, rotation and pauses. Prints per-frame MAE and dtSSD
//     (Erofeev et al. 2015: per frame the RMS of (a_t - a_{t-1}) - (g_t - g_{t-1}), averaged).
//   video_bench warp CLIP FRAMES MODEL_SIDE [VARIANT...]
//     No ground truth: the flow-warped alpha error, the mean over frames of |a_t - warp(a_{t+1})|
//     where the flow between the frames is consistent forwards and backwards.
// VARIANT: temporal filter options STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY, compared on the same model
// runs; the default filter when none is given. Alphas are in 0..1; the figures are printed times 100.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "rmbg/models.hpp"
#include "rmbg/video.hpp"

namespace {

using namespace rmbg;

cv::Mat as_mat(const Matte& m) { return cv::Mat(m.height, m.width, CV_32F, const_cast<float*>(m.alpha.data())); }

vips::VImage rgb_of(const VideoFrame& frame) {
  return vips::VImage::new_from_memory(const_cast<std::uint8_t*>(frame.rgba.data()), frame.rgba.size(), frame.width,
                                       frame.height, 4, VIPS_FORMAT_UCHAR)
      .extract_band(0, vips::VImage::option()->set("n", 3));
}

// Each frame's model alpha, and the same filtered over time with each set of options. The filter
// settles a frame once it has seen the next, so the figures are taken a frame behind the model.
struct Cutter {
  Engine engine;
  std::vector<TemporalFilter> filters;
  Matte raw;                    // the settled frame's model alpha
  std::vector<Matte> filtered;  // and the same filtered with each set of options
  Matte waiting;                // the last frame's model alpha, not settled yet

  Cutter(int side, const std::vector<TemporalOptions>& variants)
      : engine(with_input_side(default_model(), side)), filtered(variants.size()) {
    for (const auto& options : variants) filters.emplace_back(options);
  }
  static ModelSpec default_model() {
    const auto manifest = ModelManifest::load();
    return manifest.find(manifest.default_model);
  }
  // Cuts out `frame`; true when the frame before it is settled.
  bool cut(VideoFrame& frame) {
    const Image image{rgb_of(frame), std::nullopt, "video"};
    CutOptions options;
    options.estimate_foreground = false;
    Matte model = to_matte(Remover(engine).cut(image, options).alpha());
    bool settled = false;
    for (size_t i = 0; i < filters.size(); ++i)
      if (auto out = filters[i].push(frame.rgba.data(), model)) {
        filtered[i] = std::move(*out);
        settled = true;
      }
    raw = std::exchange(waiting, std::move(model));
    return settled;
  }
  // Settles the last frame.
  void finish() {
    for (size_t i = 0; i < filters.size(); ++i) filtered[i] = *filters[i].finish();
    raw = waiting;
  }
};

// The subject: its colours and its exact alpha, as one RGBA float image.
vips::VImage subject_image() {
  const std::string data = std::getenv("RMBG_TESTDATA") ? std::getenv("RMBG_TESTDATA") : "";
  const vips::VImage horse = vips::VImage::new_from_file((data + "/horse.png").c_str());
  const vips::VImage outline = (horse.extract_band(0) < 128).cast(VIPS_FORMAT_FLOAT) / 255.0;
  const vips::VImage fur = vips::VImage::new_from_file((data + "/chelsea.png").c_str())
                               .thumbnail_image(outline.width(), vips::VImage::option()
                                                                     ->set("height", outline.height())
                                                                     ->set("crop", VIPS_INTERESTING_CENTRE))
                               .cast(VIPS_FORMAT_FLOAT) / 255.0;
  return fur.bandjoin(outline);
}

// Where the subject is at frame `t`: it crosses the frame and back, growing and shrinking,
// turning, and stands still for 15 frames out of every 60.
struct Pose {
  double x, y, scale, degrees;
};
Pose pose_at(int t) {
  const int moving = t - 15 * ((t + 45) / 60) - std::max(0, (t + 45) % 60 - 45);  // time spent moving
  const double s = moving / 30.0;
  return {0.5 + 0.3 * std::sin(s * 1.3), 0.55 + 0.08 * std::sin(s * 2.1), 0.55 + 0.15 * std::sin(s * 0.9),
          15 * std::sin(s * 1.7)};
}

// The subject placed on `frame` at `pose`; returns its exact alpha.
Matte composite(VideoFrame& frame, const vips::VImage& subject, const Pose& pose) {
  const double scale = pose.scale * frame.height / subject.height();
  const double r = pose.degrees * M_PI / 180;
  const double a = scale * std::cos(r), b = -scale * std::sin(r), c = scale * std::sin(r), d = scale * std::cos(r);
  // Centre of the subject to (x, y) of the frame.
  const double cx = subject.width() / 2.0, cy = subject.height() / 2.0;
  const double odx = pose.x * frame.width - (a * cx + b * cy), ody = pose.y * frame.height - (c * cx + d * cy);
  const vips::VImage placed =
      subject.affine({a, b, c, d}, vips::VImage::option()
                                       ->set("oarea", std::vector<int>{0, 0, frame.width, frame.height})
                                       ->set("odx", odx)
                                       ->set("ody", ody)
                                       ->set("interpolate", vips::VInterpolate::new_from_name("bilinear"))
                                       ->set("background", std::vector<double>{0, 0, 0, 0}));
  const Matte truth = to_matte(placed.extract_band(3).copy_memory());
  const RgbImage colour = to_rgb(placed.extract_band(0, vips::VImage::option()->set("n", 3)).copy_memory());
  for (size_t i = 0; i < truth.alpha.size(); ++i) {
    std::uint8_t* p = &frame.rgba[i * 4];
    const float alpha = truth.alpha[i];
    for (int k = 0; k < 3; ++k)
      p[k] = static_cast<std::uint8_t>(std::lround(colour.rgb[i * 3 + k] * 255 * alpha + p[k] * (1 - alpha)));
  }
  return truth;
}

double mae(const Matte& a, const Matte& g) { return cv::norm(as_mat(a), as_mat(g), cv::NORM_L1) / a.alpha.size(); }

double dt_ssd(const Matte& a, const Matte& a_before, const Matte& g, const Matte& g_before) {
  const cv::Mat e = (as_mat(a) - as_mat(a_before)) - (as_mat(g) - as_mat(g_before));
  return std::sqrt(cv::mean(e.mul(e))[0]);
}

// A line per filter variant: its options, then the figures with it and without it.
std::string describe(const TemporalOptions& o) {
  char text[128];
  std::snprintf(text, sizeof text, "strength %.2f agreement %.2f flow %d colour %.3f consistency %.2f", o.strength,
                o.agreement, o.flow_side, o.colour_tolerance, o.consistency_tolerance);
  return text;
}

int composite_bench(const char* clip, int frames, int side, const std::vector<TemporalOptions>& variants) {
  init_vips();
  const vips::VImage subject = subject_image();
  VideoReader reader(clip);
  Cutter cutter(side, variants);
  const size_t v = variants.size();
  Matte truth_before, raw_before;
  std::vector<Matte> filtered_before(v);
  double mae_raw = 0, dt_raw = 0;
  std::vector<double> mae_filtered(v), dt_filtered(v);
  int n = 0;  // frames settled
  const auto score = [&](const Matte& truth) {
    mae_raw += mae(cutter.raw, truth);
    if (n > 0) dt_raw += dt_ssd(cutter.raw, raw_before, truth, truth_before);
    for (size_t i = 0; i < v; ++i) {
      mae_filtered[i] += mae(cutter.filtered[i], truth);
      if (n > 0) dt_filtered[i] += dt_ssd(cutter.filtered[i], filtered_before[i], truth, truth_before);
    }
    truth_before = truth;
    raw_before = cutter.raw;
    filtered_before = cutter.filtered;
    ++n;
  };
  Matte waiting_truth;
  int read = 0;
  for (auto frame = reader.next(); frame && read < frames; frame = reader.next(), ++read) {
    Matte truth = composite(*frame, subject, pose_at(read));
    if (cutter.cut(*frame)) score(waiting_truth);
    waiting_truth = std::move(truth);
  }
  cutter.finish();
  score(waiting_truth);
  std::printf("%s, %d frames: every frame alone: MAE x100 %.3f, dtSSD x100 %.3f\n", clip, n, 100 * mae_raw / n,
              100 * dt_raw / (n - 1));
  for (size_t i = 0; i < v; ++i)
    std::printf("  filtered (%s): MAE x100 %.3f (%+.1f%%), dtSSD x100 %.3f (%+.1f%%)\n", describe(variants[i]).c_str(),
                100 * mae_filtered[i] / n, 100 * (mae_filtered[i] / mae_raw - 1), 100 * dt_filtered[i] / (n - 1),
                100 * (dt_filtered[i] / dt_raw - 1));
  return 0;
}

// |a_t - warp(a_{t+1})| where the flow from t to t+1 is consistent, for both alphas at once.
struct WarpError {
  cv::Ptr<cv::DISOpticalFlow> flow = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
  double raw = 0;
  std::vector<double> filtered;
  int pairs = 0;

  void add(const cv::Mat& grey, const cv::Mat& grey_next, const Matte& raw_t, const Matte& raw_next,
           const std::vector<Matte>& filtered_t, const std::vector<Matte>& filtered_next) {
    cv::Mat forward, backward;
    flow->calc(grey, grey_next, forward);
    flow->calc(grey_next, grey, backward);
    cv::Mat map(forward.size(), CV_32FC2);
    for (int y = 0; y < map.rows; ++y)
      for (int x = 0; x < map.cols; ++x) map.at<cv::Vec2f>(y, x) = forward.at<cv::Vec2f>(y, x) + cv::Vec2f(x, y);
    cv::Mat back_there;
    cv::remap(backward, back_there, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(1e6, 1e6));
    cv::Mat reliable(forward.size(), CV_8U);
    for (int y = 0; y < map.rows; ++y)
      for (int x = 0; x < map.cols; ++x)
        reliable.at<std::uint8_t>(y, x) = cv::norm(forward.at<cv::Vec2f>(y, x) + back_there.at<cv::Vec2f>(y, x)) < 0.5;
    auto error = [&](const Matte& now, const Matte& next) {
      cv::Mat warped;
      cv::remap(as_mat(next), warped, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      cv::Mat difference;
      cv::absdiff(as_mat(now), warped, difference);
      return cv::mean(difference, reliable)[0];
    };
    raw += error(raw_t, raw_next);
    filtered.resize(filtered_t.size());
    for (size_t i = 0; i < filtered.size(); ++i) filtered[i] += error(filtered_t[i], filtered_next[i]);
    ++pairs;
  }
};

cv::Mat grey_of(const VideoFrame& frame) {
  cv::Mat grey;
  cv::cvtColor(cv::Mat(frame.height, frame.width, CV_8UC4, const_cast<std::uint8_t*>(frame.rgba.data())), grey,
               cv::COLOR_RGBA2GRAY);
  return grey;
}

int warp_bench(const char* clip, int frames, int side, const std::vector<TemporalOptions>& variants) {
  init_vips();
  VideoReader reader(clip);
  Cutter cutter(side, variants);
  WarpError warp;
  cv::Mat grey_before, waiting_grey;
  Matte raw_before;
  std::vector<Matte> filtered_before;
  int n = 0;  // frames settled
  const auto score = [&](const cv::Mat& grey) {
    if (n > 0) warp.add(grey_before, grey, raw_before, cutter.raw, filtered_before, cutter.filtered);
    grey_before = grey;
    raw_before = cutter.raw;
    filtered_before = cutter.filtered;
    ++n;
  };
  int read = 0;
  for (auto frame = reader.next(); frame && read < frames; frame = reader.next(), ++read) {
    if (cutter.cut(*frame)) score(waiting_grey);
    waiting_grey = grey_of(*frame);
  }
  cutter.finish();
  score(waiting_grey);
  std::printf("%s, %d frames: every frame alone: warp error x100 %.3f\n", clip, n, 100 * warp.raw / warp.pairs);
  for (size_t i = 0; i < variants.size(); ++i)
    std::printf("  filtered (%s): warp error x100 %.3f (%+.1f%%)\n", describe(variants[i]).c_str(),
                100 * warp.filtered[i] / warp.pairs, 100 * (warp.filtered[i] / warp.raw - 1));
  return 0;
}

// "STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY", as TemporalOptions takes them.
TemporalOptions parse_variant(const std::string& text) {
  TemporalOptions o;
  if (std::sscanf(text.c_str(), "%lf:%lf:%d:%lf:%lf", &o.strength, &o.agreement, &o.flow_side, &o.colour_tolerance,
                  &o.consistency_tolerance) != 5)
    throw std::invalid_argument("a variant is STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY, not " + text);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: video_bench composite|warp CLIP FRAMES MODEL_SIDE [STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY...]\n");
    return 2;
  }
  try {
    const std::string mode = argv[1];
    const int frames = std::atoi(argv[3]), side = std::atoi(argv[4]);
    std::vector<TemporalOptions> variants;
    for (int i = 5; i < argc; ++i) variants.push_back(parse_variant(argv[i]));
    if (variants.empty()) variants.emplace_back();  // the default filter
    if (mode == "composite") return composite_bench(argv[2], frames, side, variants);
    if (mode == "warp") return warp_bench(argv[2], frames, side, variants);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "video_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "video_bench: unknown mode %s\n", argv[1]);
  return 2;
}
