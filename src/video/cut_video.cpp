// The whole clip, one frame at a time: decode, cut out, filter over time, compose, encode.
#include <cmath>
#include <exception>
#include <thread>

#include "rmbg/channel.hpp"
#include "rmbg/error.hpp"
#include "rmbg/video.hpp"

namespace rmbg {
namespace {

vips::VImage rgb_of(const VideoFrame& frame) {
  return vips::VImage::new_from_memory(const_cast<std::uint8_t*>(frame.rgba.data()), frame.rgba.size(), frame.width,
                                       frame.height, 4, VIPS_FORMAT_UCHAR)
      .extract_band(0, vips::VImage::option()->set("n", 3));
}

// `image` scaled to cover `width` x `height` and cut to it around its centre, as RGB bytes.
std::vector<std::uint8_t> cover(const vips::VImage& image, int width, int height) {
  const double scale = std::max(static_cast<double>(width) / image.width(), static_cast<double>(height) / image.height());
  vips::VImage scaled = image.resize(scale);
  scaled = scaled.crop((scaled.width() - width) / 2, (scaled.height() - height) / 2, width, height);
  if (scaled.bands() > 3) scaled = scaled.extract_band(0, vips::VImage::option()->set("n", 3));
  if (scaled.format() != VIPS_FORMAT_UCHAR) scaled = scaled.cast(VIPS_FORMAT_UCHAR);
  size_t size = 0;
  void* bytes = scaled.write_to_memory(&size);
  std::vector<std::uint8_t> out(static_cast<std::uint8_t*>(bytes), static_cast<std::uint8_t*>(bytes) + size);
  g_free(bytes);
  return out;
}

// What goes behind the subject, frame after frame: a colour, a picture, or a clip (looped).
class Backdrop {
 public:
  Backdrop(const VideoBackground& background, const VideoLimits& limits, int width, int height)
      : spec_(background), limits_(limits), width_(width), height_(height) {
    if (background.colour) {
      still_.resize(static_cast<size_t>(width) * height * 3);
      for (size_t i = 0; i < still_.size(); ++i)
        still_[i] = static_cast<std::uint8_t>(std::lround(background.colour->rgb[i % 3] * 255));
    } else if (!background.picture.empty()) {
      still_ = cover(read_image(background.picture).rgb, width, height);
    } else {
      clip_ = std::make_unique<VideoReader>(background.video, limits);
    }
  }

  // RGB bytes of the frame's size for the next frame.
  const std::vector<std::uint8_t>& next() {
    if (!clip_) return still_;
    auto frame = clip_->next();
    if (!frame) {
      clip_ = std::make_unique<VideoReader>(spec_.video, limits_);
      frame = clip_->next();
    }
    still_ = cover(rgb_of(*frame), width_, height_);
    return still_;
  }

 private:
  VideoBackground spec_;
  VideoLimits limits_;
  int width_, height_;
  std::vector<std::uint8_t> still_;
  std::unique_ptr<VideoReader> clip_;
};

bool has_background(const VideoBackground& b) {
  return b.colour || !b.picture.empty() || !b.video.empty();
}

// The frame made into what is written, in place: the matte, the cut-out, or it on the backdrop.
void compose(VideoFrame& frame, const Matte& alpha, bool mask, const std::vector<std::uint8_t>* backdrop) {
  std::uint8_t* p = frame.rgba.data();
  for (size_t i = 0; i < alpha.alpha.size(); ++i, p += 4) {
    const float a = alpha.alpha[i];
    const auto a8 = static_cast<std::uint8_t>(std::lround(a * 255));
    if (mask) {
      p[0] = p[1] = p[2] = a8;
      p[3] = 255;
    } else if (backdrop) {
      for (int c = 0; c < 3; ++c)
        p[c] = static_cast<std::uint8_t>(std::lround(p[c] * a + (*backdrop)[i * 3 + c] * (1 - a)));
      p[3] = 255;
    } else {
      p[3] = a8;
    }
  }
}

}  // namespace

void cut_video(const Engine& engine, const std::filesystem::path& input, const std::filesystem::path& output,
               const VideoCutOptions& options, const std::function<void(const VideoProgress&)>& progress) {
  const VideoFormat format = options.output.format;
  const bool background = has_background(options.background);
  if (!keeps_transparency(format) && !background && !options.mask)
    throw Error(ErrorCode::invalid_argument, std::string(video_format_name(format)) +
                                                 " has no transparency: give a background or ask for the mask");
  if (options.mask && background)
    throw Error(ErrorCode::invalid_argument, "the mask has no background");
  if (std::filesystem::exists(input) && std::filesystem::exists(output) &&
      std::filesystem::equivalent(input, output))
    throw Error(ErrorCode::invalid_argument, "the output " + output.string() + " is the input");

  VideoReader reader(input, options.limits, options.range);
  auto frame = reader.next();  // the first frame settles where the sound starts
  const VideoInfo& info = reader.info();
  std::optional<AudioSource> audio;
  if (options.keep_audio && info.has_audio) audio = AudioSource{input, options.range};
  std::optional<Backdrop> backdrop;
  if (background) backdrop.emplace(options.background, options.limits, info.width, info.height);
  VideoWriter writer(output, options.output, info, audio);
  TemporalFilter filter(options.temporal);
  const Remover remover(engine);

  // Frames are decoded and cut out on a thread of their own, a frame ahead of the filter, the
  // composition and the encoder, whose work is mostly on one core: it runs beside the model's.
  struct CutFrame {
    VideoFrame frame;
    Matte alpha;
  };
  Channel<CutFrame> cut_frames(1);
  std::exception_ptr cut_failure;
  std::thread cutter([&] {
    try {
      for (; frame; frame = reader.next()) {
        CutFrame cut_frame{std::move(*frame), {}};
        const Image image{rgb_of(cut_frame.frame), std::nullopt, "video"};
        const auto cut = [&] { cut_frame.alpha = to_matte(remover.cut(image, options.cut).alpha()); };
        if (options.run_cut)
          options.run_cut(cut);
        else
          cut();
        if (!cut_frames.push(std::move(cut_frame))) break;  // the other side stopped
      }
    } catch (...) {
      cut_failure = std::current_exception();
    }
    cut_frames.close();
  });

  VideoProgress done{0, info.frame_count};
  const auto write = [&](CutFrame& cut_frame) {
    compose(cut_frame.frame, cut_frame.alpha, options.mask, backdrop ? &backdrop->next() : nullptr);
    writer.write(cut_frame.frame);
    ++done.frames;
    done.total = std::max(done.total, done.frames);
    if (progress) progress(done);
  };
  std::optional<CutFrame> waiting;  // the filter settles a frame once it has seen the next one
  try {
    while (auto cut_frame = cut_frames.pop()) {
      if (!options.temporal_filter) {
        write(*cut_frame);
        continue;
      }
      if (auto settled = filter.push(cut_frame->frame.rgba.data(), cut_frame->alpha)) {
        waiting->alpha = std::move(*settled);
        write(*waiting);
      }
      waiting = std::move(cut_frame);
    }
  } catch (...) {
    cut_frames.close();
    cutter.join();
    throw;
  }
  cutter.join();
  if (cut_failure) std::rethrow_exception(cut_failure);
  if (waiting) {
    waiting->alpha = *filter.finish();
    write(*waiting);
  }
  writer.finish();
}

}  // namespace rmbg
