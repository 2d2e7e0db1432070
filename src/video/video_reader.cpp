// Decoding: demuxer, decoder, then a filter chain that turns each frame upright and into RGBA.
#include <cmath>
#include <limits>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg.hpp"

namespace rmbg {
namespace {

using namespace ffmpeg;

// Degrees clockwise that turn the stored frames upright, from the stream's display matrix.
int rotation_of(const AVStream& stream) {
  const auto* matrix =
      reinterpret_cast<const int32_t*>(av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
  if (!matrix) return 0;
  const double counter_clockwise = av_display_rotation_get(matrix);
  if (std::isnan(counter_clockwise)) return 0;
  const int degrees = static_cast<int>(std::lround(-counter_clockwise / 90.0)) * 90;
  return ((degrees % 360) + 360) % 360;
}

std::string upright_filters(int rotation) {
  switch (rotation) {
    case 90: return "transpose=clock,";
    case 180: return "hflip,vflip,";
    case 270: return "transpose=cclock,";
    default: return "";
  }
}

double seconds(std::int64_t ts, AVRational base) { return static_cast<double>(ts) * av_q2d(base); }

}  // namespace

struct VideoReader::State {
  std::filesystem::path path;
  VideoLimits limits;
  ClipRange range;
  VideoInfo info;
  Input input;
  AVStream* stream = nullptr;
  Codec decoder;
  std::unique_ptr<FilterChain> upright;
  Packet packet = new_packet();
  Frame decoded = new_frame();
  Frame converted = new_frame();
  std::int64_t start_ts = 0;  // the stream's time of the range's start
  std::int64_t end_ts = std::numeric_limits<std::int64_t>::max();
  bool origin_known = false;
  std::int64_t origin_ts = 0;
  bool demuxed_all = false, decoded_all = false;
  std::int64_t frames = 0;

  std::string what() const { return path.string(); }

  void open() {
    input = open_input(path);
    const int index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (index < 0) throw Error(ErrorCode::unsupported_format, what() + " has no video stream");
    stream = input->streams[index];
    for (unsigned i = 0; i < input->nb_streams; ++i)
      if (static_cast<int>(i) != index) input->streams[i]->discard = AVDISCARD_ALL;
    const AVCodecParameters& parameters = *stream->codecpar;
    const AVCodec* codec = find_decoder(parameters);
    if (!codec)
      throw Error(ErrorCode::unsupported_format,
                  what() + ": its video codec (" + avcodec_get_name(parameters.codec_id) + ") cannot be decoded here");
    describe(parameters);
    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder) throw std::bad_alloc();
    check(avcodec_parameters_to_context(decoder.get(), &parameters), ErrorCode::corrupt_image, what());
    decoder->pkt_timebase = stream->time_base;
    check(avcodec_open2(decoder.get(), codec, nullptr), ErrorCode::unsupported_format,
          what() + ": cannot open the " + codec->name + " decoder");
    if (range.start > 0) {
      start_ts = av_rescale_q(static_cast<std::int64_t>(range.start * AV_TIME_BASE), AV_TIME_BASE_Q, stream->time_base);
      if (stream->start_time != AV_NOPTS_VALUE) start_ts += stream->start_time;
      // The key frame at or before the start: the frames between are decoded and dropped.
      av_seek_frame(input.get(), stream->index, start_ts, AVSEEK_FLAG_BACKWARD);
      origin_known = true;
      origin_ts = start_ts;
    }
    if (range.duration > 0)
      end_ts = start_ts + av_rescale_q(static_cast<std::int64_t>(range.duration * AV_TIME_BASE), AV_TIME_BASE_Q,
                                       stream->time_base);
  }

  // What the headers say, and the limits checked against it before any frame is decoded.
  void describe(const AVCodecParameters& parameters) {
    if (parameters.width <= 0 || parameters.height <= 0)
      throw Error(ErrorCode::corrupt_image, what() + ": the video stream has no frame size");
    const auto pixels = static_cast<std::uint64_t>(parameters.width) * static_cast<std::uint64_t>(parameters.height);
    if (pixels > limits.max_pixels)
      throw Error(ErrorCode::image_too_large, what() + ": frames of " + std::to_string(parameters.width) + "x" +
                                                  std::to_string(parameters.height) + " are over the limit of " +
                                                  std::to_string(limits.max_pixels) + " pixels");
    info.rotation = rotation_of(*stream);
    const bool turned = info.rotation == 90 || info.rotation == 270;
    info.width = turned ? parameters.height : parameters.width;
    info.height = turned ? parameters.width : parameters.height;
    info.time_base = from_av(stream->time_base);
    info.frame_rate = from_av(stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate);
    info.codec = avcodec_get_name(parameters.codec_id);
    const auto* format = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(parameters.format));
    info.bits = format ? format->comp[0].depth : 8;
    info.has_alpha = (format && (format->flags & AV_PIX_FMT_FLAG_ALPHA)) ||
                     av_dict_get(stream->metadata, "alpha_mode", nullptr, 0) != nullptr;
    info.has_audio = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
    double whole = 0;
    if (stream->duration != AV_NOPTS_VALUE) whole = seconds(stream->duration, stream->time_base);
    else if (input->duration != AV_NOPTS_VALUE) whole = static_cast<double>(input->duration) / AV_TIME_BASE;
    if (whole > 0 && range.start >= whole)
      throw Error(ErrorCode::invalid_argument,
                  what() + " is " + std::to_string(whole) + " s long: --start is past its end");
    double part = whole > 0 ? whole - range.start : 0;
    if (range.duration > 0) part = part > 0 ? std::min(part, range.duration) : range.duration;
    if (part > limits.max_seconds)
      throw Error(ErrorCode::image_too_large, what() + ": " + std::to_string(part) + " s of video are over the limit of " +
                                                  std::to_string(limits.max_seconds) + " s");
    info.duration = part;
    if (info.frame_rate.num > 0) info.frame_count = std::llround(part * av_q2d(to_av(info.frame_rate)));
  }

  void make_upright_chain() {
    char source[256];
    std::snprintf(source, sizeof source, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=1/1",
                  decoded->width, decoded->height, decoded->format, stream->time_base.num, stream->time_base.den);
    upright = std::make_unique<FilterChain>(false, source, upright_filters(info.rotation) + "format=rgba");
  }

  // Feeds the decoder until it has a frame for the filters, or everything is decoded.
  bool decode_one() {
    while (true) {
      const int received = avcodec_receive_frame(decoder.get(), decoded.get());
      if (received == 0) return true;
      if (received == AVERROR_EOF) return false;
      if (received != AVERROR(EAGAIN)) check(received, ErrorCode::corrupt_image, what() + ": damaged video");
      if (demuxed_all) {
        avcodec_send_packet(decoder.get(), nullptr);
        continue;
      }
      const int read = av_read_frame(input.get(), packet.get());
      if (read == AVERROR_EOF) {
        demuxed_all = true;
        continue;
      }
      check(read, ErrorCode::corrupt_image, what() + ": damaged or truncated");
      if (packet->stream_index == stream->index) {
        const int sent = avcodec_send_packet(decoder.get(), packet.get());
        // A damaged packet the decoder can skip is skipped; anything else ends the clip.
        if (sent < 0 && sent != AVERROR_INVALIDDATA) check(sent, ErrorCode::corrupt_image, what() + ": damaged video");
      }
      av_packet_unref(packet.get());
    }
  }

  // The next frame of the range out of the filters, or none at the end.
  bool next_converted() {
    while (true) {
      if (upright && upright->pull(converted.get())) return true;
      if (decoded_all) return false;  // and the filters have given their last frame
      if (!decode_one() || past_range()) {
        decoded_all = true;
        av_frame_unref(decoded.get());
        if (upright) upright->push(nullptr);
        continue;
      }
      const std::int64_t ts = decoded->best_effort_timestamp;
      if (ts != AV_NOPTS_VALUE && ts < start_ts) {  // before the range, after the seek
        av_frame_unref(decoded.get());
        continue;
      }
      decoded->pts = ts;
      if (!upright) make_upright_chain();
      upright->push(decoded.get());
      av_frame_unref(decoded.get());
    }
  }

  bool past_range() const {
    const std::int64_t ts = decoded->best_effort_timestamp;
    return ts != AV_NOPTS_VALUE && ts >= end_ts;
  }
};

VideoReader::VideoReader(const std::filesystem::path& path, const VideoLimits& limits, const ClipRange& range)
    : state_(std::make_unique<State>()) {
  if (range.start < 0 || range.duration < 0)
    throw Error(ErrorCode::invalid_argument, "the start and the duration of a part cannot be negative");
  state_->path = path;
  state_->limits = limits;
  state_->range = range;
  state_->open();
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const { return state_->info; }

std::optional<VideoFrame> VideoReader::next() {
  State& s = *state_;
  if (!s.next_converted()) {
    if (s.frames == 0) throw Error(ErrorCode::corrupt_image, s.what() + " has no frame that can be decoded");
    return std::nullopt;
  }
  AVFrame& f = *s.converted;
  if (!s.origin_known) {
    s.origin_known = true;
    s.origin_ts = f.pts;
    s.info.origin = seconds(f.pts, s.stream->time_base);
  } else if (s.frames == 0) {
    s.info.origin = seconds(s.origin_ts, s.stream->time_base);
  }
  VideoFrame frame;
  frame.width = f.width;
  frame.height = f.height;
  // Frames without a time follow the last at the average rate.
  frame.pts = f.pts != AV_NOPTS_VALUE ? f.pts - s.origin_ts
                                      : av_rescale_q(s.frames, av_inv_q(s.stream->avg_frame_rate), s.stream->time_base);
  frame.seconds = seconds(frame.pts, s.stream->time_base);
  if (frame.seconds > s.limits.max_seconds)
    throw Error(ErrorCode::image_too_large, s.what() + ": longer than the limit of " +
                                                std::to_string(s.limits.max_seconds) + " s");
  frame.rgba.resize(static_cast<size_t>(f.width) * f.height * 4);
  for (int y = 0; y < f.height; ++y)
    std::copy_n(f.data[0] + static_cast<std::ptrdiff_t>(y) * f.linesize[0], f.width * 4,
                frame.rgba.data() + static_cast<size_t>(y) * f.width * 4);
  av_frame_unref(&f);
  ++s.frames;
  return frame;
}

}  // namespace rmbg
