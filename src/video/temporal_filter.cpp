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

}  // namespace

struct TemporalFilter::State {
  TemporalOptions options;
  cv::Ptr<cv::DISOpticalFlow> flow = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_FAST);
  SmallFrame previous;
  cv::Mat previous_alpha;  // CV_32F, full size: the last filtered alpha
  bool restarted = true;
  double reliable_share = 0;

  // How far the carried alpha can be trusted at each small pixel of `present`, from the flow
  // that leads its pixels back to the previous frame.
  cv::Mat reliability(const SmallFrame& present, const cv::Mat& back) {
    cv::Mat forward;
    flow->calc(previous.grey, present.grey, forward);
    const cv::Mat map = flow_map(back);
    cv::Mat forward_there, colour_there;
    cv::remap(forward, forward_there, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(1e6, 1e6));
    cv::remap(previous.colour, colour_there, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
              cv::Scalar(-1, -1, -1));
    cv::Mat out(back.size(), CV_32F);
    int reliable = 0;
    for (int y = 0; y < back.rows; ++y) {
      const auto* b = back.ptr<cv::Vec2f>(y);
      const auto* f = forward_there.ptr<cv::Vec2f>(y);
      const auto* now = present.colour.ptr<cv::Vec3f>(y);
      const auto* then = colour_there.ptr<cv::Vec3f>(y);
      auto* r = out.ptr<float>(y);
      for (int x = 0; x < back.cols; ++x) {
        // Back and then forward again should land where it started.
        const float round_trip = static_cast<float>(cv::norm(b[x] + f[x]));
        const cv::Vec3f d = now[x] - then[x];
        const float colour = (std::abs(d[0]) + std::abs(d[1]) + std::abs(d[2])) / 3;
        r[x] = trust(round_trip, options.consistency_tolerance) * trust(colour, options.colour_tolerance);
        reliable += r[x] > 0.5f;
      }
    }
    reliable_share = static_cast<double>(reliable) / static_cast<double>(out.total());
    return out;
  }
};

TemporalFilter::TemporalFilter(const TemporalOptions& options) : state_(std::make_unique<State>()) {
  if (!(options.strength >= 0 && options.strength < 1) || options.flow_side < 16 ||
      !(options.colour_tolerance > 0) || !(options.consistency_tolerance > 0))
    throw Error(ErrorCode::invalid_argument, "temporal filter: strength must be in 0..1 (below 1), "
                                             "the flow side at least 16 and the tolerances above 0");
  state_->options = options;
}
TemporalFilter::~TemporalFilter() = default;
TemporalFilter::TemporalFilter(TemporalFilter&&) noexcept = default;
TemporalFilter& TemporalFilter::operator=(TemporalFilter&&) noexcept = default;

bool TemporalFilter::restarted() const { return state_->restarted; }
double TemporalFilter::reliable_share() const { return state_->reliable_share; }

Matte TemporalFilter::filter(const std::uint8_t* rgba, const Matte& alpha) {
  State& s = *state_;
  SmallFrame present = small_frame(rgba, alpha.width, alpha.height, s.options.flow_side);
  const cv::Mat model(alpha.height, alpha.width, CV_32F, const_cast<float*>(alpha.alpha.data()));
  const bool same_size = !s.previous.grey.empty() && s.previous.grey.size() == present.grey.size() &&
                         s.previous_alpha.size() == model.size();
  cv::Mat result;
  s.restarted = true;
  if (same_size) {
    cv::Mat back;
    s.flow->calc(present.grey, s.previous.grey, back);
    const cv::Mat reliable = s.reliability(present, back);
    if (s.reliable_share >= s.options.cut_share) {
      // The flow and its trust at full size: the flow's vectors scaled with the picture.
      cv::Mat back_full, weight;
      cv::resize(back, back_full, model.size(), 0, 0, cv::INTER_LINEAR);
      back_full = back_full.mul(cv::Scalar(static_cast<double>(model.cols) / back.cols,
                                           static_cast<double>(model.rows) / back.rows));
      cv::resize(reliable, weight, model.size(), 0, 0, cv::INTER_LINEAR);
      cv::Mat carried;
      cv::remap(s.previous_alpha, carried, flow_map(back_full), cv::noArray(), cv::INTER_LINEAR,
                cv::BORDER_REPLICATE);
      weight *= s.options.strength;
      result = carried.mul(weight) + model.mul(1.0 - weight);
      s.restarted = false;
    }
  } else {
    s.reliable_share = 0;
  }
  if (s.restarted) result = model.clone();
  cv::min(cv::max(result, 0.0), 1.0, result);
  s.previous = std::move(present);
  s.previous_alpha = result;
  Matte out(alpha.width, alpha.height);
  std::copy(result.ptr<float>(), result.ptr<float>() + out.alpha.size(), out.alpha.begin());
  return out;
}

}  // namespace rmbg
