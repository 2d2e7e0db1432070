#pragma once
// Finding faces and their landmarks with MediaPipe BlazeFace, run by ONNX Runtime. One detector per
// process: the session is created once; detect() may be called from several threads.
#include <memory>
#include <vector>

#include <vips/vips8>

#include "rmbg/engine.hpp"
#include "rmbg/models.hpp"

namespace rmbg {

struct Point {
  double x = 0;
  double y = 0;
};

struct Face {
  double score = 0;  // the model's confidence, 0..1
  double left = 0, top = 0, width = 0, height = 0;  // the face's box, in pixels of the photograph
  // Landmarks as the person sees them: their right eye is on the left of an upright photograph.
  Point right_eye, left_eye, nose, mouth, right_ear, left_ear;
};

class FaceDetector {
 public:
  // Confidence from which a detection counts as a face. Real faces score 0.85 to 0.97 on the
  // sample photographs; the best non-face (text, a cat, a squirrel) 0.73.
  static constexpr double kMinScore = 0.75;

  explicit FaceDetector(const ModelSpec& spec, const EngineOptions& options = {});
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // Faces in `image` (3-band RGB, 8 or 16 bits), most confident first. The whole image is seen at
  // the model's 256x256: a face narrower than about 1/12 of the image's longer side is not found.
  std::vector<Face> detect(const vips::VImage& image, double min_score = kMinScore) const;

 private:
  struct Square {
    int left, top, side;  // may reach past the image's edges
    bool mirrored = false;
  };
  // One run of the model on `square` of the image; overlapping detections merged.
  std::vector<Face> find(const vips::VImage& image, const Square& square, double min_score) const;

  struct Session;
  std::unique_ptr<Session> session_;
};

}  // namespace rmbg
