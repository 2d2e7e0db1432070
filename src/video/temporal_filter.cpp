#include "rmbg/temporal_filter.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "rmbg/error.hpp"

namespace rmbg {
namespace {

// The frame scaled for the flow: grey for DIS, colour (0..1) for the agreement check.
struct SmallFrame {
  cv::Mat grey;    // CV_8U
  cv::Mat colour;  // CV_32FC3
};

SmallFrame small_frame(const std::uint8_t* rgba, int width, int height, int side) {
  const cv::Mat frame(height, width, CV_8UC4, const_cast<std::uint8_t*>(rgba));
  const double scale = std::min(1.0, static_cast<double>(side) / std::max(width, height));
  const cv::Size size(std::max(8, static_cast<int>(std::lround(width * scale))),
                      std::max(8, static_cast<int>(std::lround(height * scale))));
  cv::Mat rgb, small;
  cv::cvtColor(frame, rgb, cv::COLOR_RGBA2RGB);
  cv::resize(rgb, small, size, 0, 0, cv::INTER_AREA);
  SmallFrame out;
  cv::cvtColor(small, out.grey, cv::COLOR_RGB2GRAY);
  small.convertTo(out.colour, CV_32FC3, 1.0 / 255);
  return out;
}

// Where each pixel's flow points: its own position plus the flow, as cv::remap takes it.
cv::Mat flow_map(const cv::Mat& flow) {
  cv::Mat map(flow.size(), CV_32FC2);
  for (int y = 0; y < flow.rows; ++y) {
    const auto* f = flow.ptr<cv::Vec2f>(y);
    auto* m = map.ptr<cv::Vec2f>(y);
    for (int x = 0; x < flow.cols; ++x) m[x] = cv::Vec2f(x + f[x][0], y + f[x][1]);
  }
  return map;
}

// A falling curve: 1 at 0, 0.5 at `tolerance`, towards 0 beyond.
float trust(float error, double tolerance) {
  const float r = error / static_cast<float>(tolerance);
  return std::exp(-0.6931472f * r * r);
}

// The median of three.
float middle(float a, float b, float c) { return std::max(std::min(a, b), std::min(std::max(a, b), c)); }

}  // namespace

// An alpha of a neighbouring frame, brought to this frame's pixels along the flow, with how far
// it can be trusted at each pixel. Empty when there is no such frame or too little can be followed.
struct Neighbour {
  cv::Mat flow;   // CV_32FC2, small: from this frame's pixels to the neighbour's
  cv::Mat trust;  // CV_32F, small, 0..1
  double share = 0;  // of the small pixels trusted more than half

  // `alpha` (full size) of the neighbour at this frame's full-size pixels.
  cv::Mat carry(const cv::Mat& alpha) const {
    cv::Mat full;
    cv::resize(flow, full, alpha.size(), 0, 0, cv::INTER_LINEAR);
    full = full.mul(cv::Scalar(static_cast<double>(alpha.cols) / flow.cols, static_cast<double>(alpha.rows) / flow.rows));
    cv::Mat carried;
    cv::remap(alpha, carried, flow_map(full), cv::noArray(), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    return carried;
  }
  cv::Mat full_trust(const cv::Size& size) const {
    cv::Mat out;
    cv::resize(trust, out, size, 0, 0, cv::INTER_LINEAR);
    return out;
  }
};

struct TemporalFilter::State {
  TemporalOptions options;
  cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);

  // The frame waiting for the one after it, with its model alpha and its link to the one before.
  bool pending = false;
  SmallFrame frame;
  cv::Mat model;            // CV_32F, full size
  Neighbour before;         // to the frame before (empty after a cut)
  cv::Mat filtered_before;  // CV_32F: the frame before's filtered alpha
  bool restarted = true;
  double reliable_share = 0;

  // How far `from`'s pixels can be followed to `to` along `there` (from -> to), checked with
  // `back` (to -> from): back and forth should land where it started, and the colours agree.
  Neighbour link(const SmallFrame& from, const SmallFrame& to, const cv::Mat& there, const cv::Mat& back) const {
    const cv::Mat map = flow_map(there);
    cv::Mat back_there, colour_there;
    cv::remap(back, back_there, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(1e6, 1e6));
    cv::remap(to.colour, colour_there, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
              cv::Scalar(-1, -1, -1));
    Neighbour out{there, cv::Mat(there.size(), CV_32F), 0};
    int reliable = 0;
    for (int y = 0; y < there.rows; ++y) {
      const auto* t = there.ptr<cv::Vec2f>(y);
      const auto* b = back_there.ptr<cv::Vec2f>(y);
      const auto* here = from.colour.ptr<cv::Vec3f>(y);
      const auto* c = colour_there.ptr<cv::Vec3f>(y);
      auto* r = out.trust.ptr<float>(y);
      for (int x = 0; x < there.cols; ++x) {
        const float round_trip = static_cast<float>(cv::norm(t[x] + b[x]));
        const cv::Vec3f d = here[x] - c[x];
        const float colour = (std::abs(d[0]) + std::abs(d[1]) + std::abs(d[2])) / 3;
        r[x] = trust(round_trip, options.consistency_tolerance) * trust(colour, options.colour_tolerance);
        reliable += r[x] > 0.5f;
      }
    }
    out.share = static_cast<double>(reliable) / static_cast<double>(out.trust.total());
    if (out.share < options.cut_share) out = Neighbour{};
    return out;
  }

  // The pending frame's filtered alpha from three values at each pixel: the frame before's
  // filtered alpha carried here (c), the model's (m) and the next frame's model alpha carried
  // back (f, the look ahead). Where both neighbours are trusted, the median of the three outvotes
  // a value that flips for one frame; then the neighbours that agree with it within `agreement`
  // are averaged in, which steadies small flicker without blurring a real change.
  Matte settle(const Neighbour& after, const cv::Mat& model_after) {
    const bool has_before = !before.flow.empty(), has_after = !after.flow.empty();
    restarted = !has_before;
    reliable_share = before.share;
    cv::Mat result = model.clone();
    if (has_before || has_after) {
      const cv::Size size = model.size();
      const cv::Mat carried = has_before ? before.carry(filtered_before) : model;
      const cv::Mat ahead = has_after ? after.carry(model_after) : model;
      const cv::Mat trust_before = has_before ? before.full_trust(size) : cv::Mat::zeros(size, CV_32F);
      const cv::Mat trust_after = has_after ? after.full_trust(size) : cv::Mat::zeros(size, CV_32F);
      const auto strength = static_cast<float>(options.strength);
      for (int y = 0; y < size.height; ++y) {
        const float* c = carried.ptr<float>(y);
        const float* m = model.ptr<float>(y);
        const float* f = ahead.ptr<float>(y);
        const float* tc = trust_before.ptr<float>(y);
        const float* tf = trust_after.ptr<float>(y);
        float* out = result.ptr<float>(y);
        for (int x = 0; x < size.width; ++x) {
          const float vote = m[x] + tc[x] * tf[x] * (middle(c[x], m[x], f[x]) - m[x]);
          const float wc = strength * tc[x] * trust(std::abs(c[x] - vote), options.agreement);
          const float wf = strength * tf[x] * trust(std::abs(f[x] - vote), options.agreement);
          out[x] = std::clamp((vote + wc * c[x] + wf * f[x]) / (1 + wc + wf), 0.0f, 1.0f);
        }
      }
    }
    Matte out(model.cols, model.rows);
    std::copy(result.ptr<float>(), result.ptr<float>() + out.alpha.size(), out.alpha.begin());
    filtered_before = std::move(result);
    return out;
  }
};

TemporalFilter::TemporalFilter(const TemporalOptions& options) : state_(std::make_unique<State>()) {
  if (!(options.strength >= 0 && options.strength <= 1) || options.flow_side < 16 ||
      !(options.colour_tolerance > 0) || !(options.consistency_tolerance > 0) || !(options.agreement > 0))
    throw Error(ErrorCode::invalid_argument, "temporal filter: strength must be in 0..1, the flow side at least 16, "
                                             "the agreement and the tolerances above 0");
  state_->options = options;
}
TemporalFilter::~TemporalFilter() = default;
TemporalFilter::TemporalFilter(TemporalFilter&&) noexcept = default;
TemporalFilter& TemporalFilter::operator=(TemporalFilter&&) noexcept = default;

bool TemporalFilter::restarted() const { return state_->restarted; }
double TemporalFilter::reliable_share() const { return state_->reliable_share; }

std::optional<Matte> TemporalFilter::push(const std::uint8_t* rgba, const Matte& alpha) {
  State& s = *state_;
  SmallFrame present = small_frame(rgba, alpha.width, alpha.height, s.options.flow_side);
  const cv::Mat model = cv::Mat(alpha.height, alpha.width, CV_32F, const_cast<float*>(alpha.alpha.data())).clone();
  std::optional<Matte> settled;
  Neighbour before;  // the present frame's link back to the pending one
  if (s.pending) {
    Neighbour after;
    if (s.frame.grey.size() == present.grey.size() && s.model.size() == model.size()) {
      cv::Mat forward, back;
      s.dis->calc(s.frame.grey, present.grey, forward);
      s.dis->calc(present.grey, s.frame.grey, back);
      after = s.link(s.frame, present, forward, back);
      before = s.link(present, s.frame, back, forward);
    }
    settled = s.settle(after, model);
  }
  s.pending = true;
  s.frame = std::move(present);
  s.model = model;
  s.before = std::move(before);
  return settled;
}

std::optional<Matte> TemporalFilter::finish() {
  State& s = *state_;
  if (!s.pending) return std::nullopt;
  s.pending = false;
  return s.settle(Neighbour{}, cv::Mat());
}

}  // namespace rmbg
