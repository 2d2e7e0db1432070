#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "ort_session.hpp"
#include "rmbg/error.hpp"
#include "rmbg/face.hpp"
#include "rmbg/matte.hpp"

namespace rmbg {
namespace {

// BlazeFace predicts, for every anchor of two grids laid over its square input, a score and 16
// numbers: the box's centre offset and size, then six landmarks, all in input pixels relative to
// the anchor's centre. The grids are 16x16 cells with 2 anchors each and 8x8 cells with 6.
struct AnchorGrid {
  int cells;     // per side
  int per_cell;  // anchors in each cell
  int count() const { return cells * cells * per_cell; }
};
constexpr std::array<AnchorGrid, 2> kGrids{AnchorGrid{16, 2}, AnchorGrid{8, 6}};
constexpr int kValuesPerAnchor = 16;
constexpr int kLandmarks = 6;

// Detections of one face by neighbouring anchors overlap at least this much; they are merged.
constexpr double kSameFaceOverlap = 0.3;

// The close-up of a face found in the whole photograph is this many times the face's box: the face
// then fills a third of the model's input. Tighter close-ups placed the eyes of the sample portraits
// less consistently.
constexpr double kCloseUp = 3;
// What the close-up must score to confirm a face. Lower than the score that makes a face in the
// whole photograph: a small face is blurred by the enlargement, and scores less up close.
constexpr double kConfirmScore = 0.5;

struct Detection {
  double score;
  std::array<double, 4 + 2 * kLandmarks> geometry;  // centre x, y, width, height, landmarks x, y
};

double overlap(const Detection& a, const Detection& b) {
  const auto& p = a.geometry;
  const auto& q = b.geometry;
  const double left = std::max(p[0] - p[2] / 2, q[0] - q[2] / 2);
  const double right = std::min(p[0] + p[2] / 2, q[0] + q[2] / 2);
  const double top = std::max(p[1] - p[3] / 2, q[1] - q[3] / 2);
  const double bottom = std::min(p[1] + p[3] / 2, q[1] + q[3] / 2);
  const double inner = std::max(0.0, right - left) * std::max(0.0, bottom - top);
  const double total = p[2] * p[3] + q[2] * q[3] - inner;
  return total > 0 ? inner / total : 0;
}

// Overlapping detections of one face become one, their geometry averaged by score, as MediaPipe's
// weighted non-maximum suppression does: steadier landmarks than the single best anchor gives.
std::vector<Detection> merge_overlapping(std::vector<Detection> candidates) {
  std::sort(candidates.begin(), candidates.end(),
            [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> merged;
  std::vector<bool> used(candidates.size(), false);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (used[i]) continue;
    Detection sum{candidates[i].score, {}};
    double weights = 0;
    for (size_t j = i; j < candidates.size(); ++j) {
      if (used[j] || (j != i && overlap(candidates[i], candidates[j]) < kSameFaceOverlap)) continue;
      used[j] = true;
      for (size_t k = 0; k < sum.geometry.size(); ++k)
        sum.geometry[k] += candidates[j].geometry[k] * candidates[j].score;
      weights += candidates[j].score;
    }
    for (double& value : sum.geometry) value /= weights;
    merged.push_back(sum);
  }
  return merged;
}

Point midpoint(Point a, Point b) { return {(a.x + b.x) / 2, (a.y + b.y) / 2}; }

Face average(const Face& a, const Face& b) {
  return Face{(a.score + b.score) / 2, (a.left + b.left) / 2, (a.top + b.top) / 2, (a.width + b.width) / 2,
              (a.height + b.height) / 2, midpoint(a.right_eye, b.right_eye), midpoint(a.left_eye, b.left_eye),
              midpoint(a.nose, b.nose), midpoint(a.mouth, b.mouth), midpoint(a.right_ear, b.right_ear),
              midpoint(a.left_ear, b.left_ear)};
}

}  // namespace

struct FaceDetector::Session {
  ModelSpec spec;
  Ort::Session session{nullptr};
  std::string input_name;
  std::array<std::string, kGrids.size()> scores_output;  // per grid
  std::array<std::string, kGrids.size()> boxes_output;
};

FaceDetector::FaceDetector(const ModelSpec& spec, const EngineOptions& options)
    : session_(std::make_unique<Session>()) {
  session_->spec = spec;
  if (spec.task != ModelTask::face_detection)
    throw Error(ErrorCode::invalid_argument, "model '" + spec.name + "' is not a face detector");
  if (spec.input.width != spec.input.height || !spec.input.channels_last)
    throw Error(ErrorCode::invalid_argument, spec.name + ": BlazeFace takes a square NHWC input");
  const auto path = require_model(spec);
  // The BlazeFace export carries initialisers it no longer uses, which ONNX Runtime warns about on
  // every load: nothing a user can act on.
  session_->session = open_session(path, spec.name, {options.threads, Device::cpu, ORT_LOGGING_LEVEL_ERROR}).session;
  auto& s = session_->session;
  Ort::AllocatorWithDefaultOptions allocator;
  const auto not_blazeface = [&](const std::string& why) {
    return Error(ErrorCode::model_corrupt, spec.name + " is not a BlazeFace model: " + why);
  };
  if (s.GetInputCount() != 1) throw not_blazeface("it needs one image input");
  session_->input_name = s.GetInputNameAllocated(0, allocator).get();
  // Outputs are told apart by shape: [1, anchors, 1] scores and [1, anchors, 16] boxes per grid.
  for (size_t i = 0; i < s.GetOutputCount(); ++i) {
    const auto type = s.GetOutputTypeInfo(i);
    const auto shape = type.GetTensorTypeAndShapeInfo().GetShape();
    if (shape.size() != 3) continue;
    for (size_t g = 0; g < kGrids.size(); ++g) {
      if (shape[1] != kGrids[g].count()) continue;
      const std::string name = s.GetOutputNameAllocated(i, allocator).get();
      if (shape[2] == 1) session_->scores_output[g] = name;
      if (shape[2] == kValuesPerAnchor) session_->boxes_output[g] = name;
    }
  }
  for (size_t g = 0; g < kGrids.size(); ++g)
    if (session_->scores_output[g].empty() || session_->boxes_output[g].empty())
      throw not_blazeface("no scores and boxes for " + std::to_string(kGrids[g].count()) + " anchors");
}

FaceDetector::~FaceDetector() = default;

std::vector<Face> FaceDetector::find(const vips::VImage& image, const Square& square, double min_score) const {
  const ModelSpec& spec = session_->spec;
  const int size = spec.input.width;
  // The square of the photograph, black where it reaches past the edges, at the model's size.
  const double scale = static_cast<double>(size) / square.side;
  vips::VImage view = image.embed(-square.left, -square.top, square.side, square.side).resize(scale);
  if (view.width() != size || view.height() != size)  // rounding in libvips: pad or trim a pixel
    view = view.embed(0, 0, size, size);
  if (square.mirrored) view = view.flip(VIPS_DIRECTION_HORIZONTAL);
  const RgbImage pixels = to_rgb(view);
  std::vector<float> input(pixels.rgb.size());
  for (size_t i = 0; i < input.size(); ++i) {
    const size_t c = i % 3;
    input[i] = (pixels.rgb[i] * 255.0f - spec.input.mean[c]) / spec.input.std[c];
  }

  std::vector<const char*> output_names;
  for (size_t g = 0; g < kGrids.size(); ++g) {
    output_names.push_back(session_->scores_output[g].c_str());
    output_names.push_back(session_->boxes_output[g].c_str());
  }
  std::vector<Ort::Value> outputs;
  try {
    const std::array<int64_t, 4> shape{1, size, size, 3};
    auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value tensor = Ort::Value::CreateTensor<float>(memory, input.data(), input.size(), shape.data(),
                                                        shape.size());
    const char* input_names[] = {session_->input_name.c_str()};
    outputs = session_->session.Run(Ort::RunOptions{nullptr}, input_names, &tensor, 1,
                                    output_names.data(), output_names.size());
  } catch (const Ort::Exception& e) {
    throw Error(ErrorCode::inference_failed, spec.name + ": " + e.what());
  }

  // Input pixels to pixels of the photograph.
  const auto to_x = [&](double input_x) {
    return square.left + (square.mirrored ? square.side - input_x / scale : input_x / scale);
  };
  const auto to_y = [&](double input_y) { return square.top + input_y / scale; };
  std::vector<Detection> candidates;
  for (size_t g = 0; g < kGrids.size(); ++g) {
    const AnchorGrid grid = kGrids[g];
    const float* scores = outputs[2 * g].GetTensorData<float>();
    const float* boxes = outputs[2 * g + 1].GetTensorData<float>();
    const double cell = static_cast<double>(size) / grid.cells;
    for (int i = 0; i < grid.count(); ++i) {
      const double score = 1.0 / (1.0 + std::exp(-std::clamp(scores[i], -80.0f, 80.0f)));
      if (score < min_score) continue;
      const int cell_index = i / grid.per_cell;
      const double anchor_x = (cell_index % grid.cells + 0.5) * cell;
      const double anchor_y = (cell_index / grid.cells + 0.5) * cell;
      const float* v = boxes + static_cast<size_t>(i) * kValuesPerAnchor;
      Detection d{score, {}};
      d.geometry[0] = to_x(anchor_x + v[0]);
      d.geometry[1] = to_y(anchor_y + v[1]);
      d.geometry[2] = v[2] / scale;
      d.geometry[3] = v[3] / scale;
      for (int k = 0; k < kLandmarks; ++k) {
        d.geometry[4 + 2 * k] = to_x(anchor_x + v[4 + 2 * k]);
        d.geometry[5 + 2 * k] = to_y(anchor_y + v[5 + 2 * k]);
      }
      candidates.push_back(d);
    }
  }

  std::vector<Face> faces;
  for (const Detection& d : merge_overlapping(std::move(candidates))) {
    const auto& g = d.geometry;
    const auto landmark = [&](int k) { return Point{g[4 + 2 * k], g[5 + 2 * k]}; };
    Face face{d.score, g[0] - g[2] / 2, g[1] - g[3] / 2, g[2], g[3], landmark(0), landmark(1),
              landmark(2), landmark(3), landmark(4), landmark(5)};
    if (square.mirrored) {  // the mirror image's right eye is the person's left
      std::swap(face.right_eye, face.left_eye);
      std::swap(face.right_ear, face.left_ear);
    }
    faces.push_back(face);
  }
  return faces;
}

std::vector<Face> FaceDetector::detect(const vips::VImage& image, double min_score) const {
  // First the whole photograph, then a close-up of each face found, where the face fills enough of
  // the model's input for its landmarks to be placed to a pixel or two. A face that the close-up
  // does not confirm is dropped: the cat of the sample photographs scores 0.74 seen whole and
  // nothing up close, while the real faces score 0.76 to 0.92 up close.
  const int side = std::max(image.width(), image.height());
  const Square whole{(image.width() - side) / 2, (image.height() - side) / 2, side};
  std::vector<Face> faces;
  for (const Face& candidate : find(image, whole, min_score)) {
    const double centre_x = candidate.left + candidate.width / 2;
    const double centre_y = candidate.top + candidate.height / 2;
    const int close_side = std::max(8, static_cast<int>(kCloseUp * std::max(candidate.width, candidate.height)));
    const Square close{static_cast<int>(std::lround(centre_x - close_side / 2.0)),
                       static_cast<int>(std::lround(centre_y - close_side / 2.0)), close_side};
    const auto seen = find(image, close, kConfirmScore);
    const auto distance = [&](const Face& f) {
      return std::hypot(f.left + f.width / 2 - centre_x, f.top + f.height / 2 - centre_y);
    };
    const auto nearest = std::min_element(seen.begin(), seen.end(), [&](const Face& a, const Face& b) {
      return distance(a) < distance(b);
    });
    if (nearest == seen.end() || distance(*nearest) > candidate.width / 2) continue;
    // The same close-up mirrored, averaged with the first: the model's landmarks lean a little
    // one way, and the mirror leans them the other. Measured on the astronaut, whose pupils lie
    // 3.3 degrees from level: single close-ups said 0 to 8 degrees, averaged pairs 2.9 to 3.4.
    Face face = *nearest;
    const auto mirrored_view = find(image, {close.left, close.top, close.side, true}, kConfirmScore);
    const auto mirrored = std::min_element(mirrored_view.begin(), mirrored_view.end(),
                                           [&](const Face& a, const Face& b) { return distance(a) < distance(b); });
    if (mirrored != mirrored_view.end() && distance(*mirrored) <= candidate.width / 2) face = average(face, *mirrored);
    face.score = candidate.score;  // the threshold was applied to this one
    faces.push_back(face);
  }
  std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  return faces;
}

}  // namespace rmbg
