#include "ffmpeg.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/error.h>
}

namespace rmbg::ffmpeg {
namespace {

std::string read_first_bytes(const std::filesystem::path& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(count, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

}  // namespace

Frame new_frame() {
  Frame frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

Packet new_packet() {
  Packet packet(av_packet_alloc());
  if (!packet) throw std::bad_alloc();
  return packet;
}

std::string error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

int check(int result, ErrorCode code, const std::string& what) {
  if (result == AVERROR(ENOMEM)) throw std::bad_alloc();
  if (result < 0) throw Error(code, what + ": " + error_text(result));
  return result;
}

const AVCodec* find_decoder(const AVCodecParameters& parameters) {
  if (parameters.codec_id == AV_CODEC_ID_VP9)
    if (const AVCodec* libvpx = avcodec_find_decoder_by_name("libvpx-vp9")) return libvpx;
  return avcodec_find_decoder(parameters.codec_id);
}

void quiet_logs() {
  // FFmpeg's notes ("v1.12.0", damaged packets it skipped) would go to stderr between the progress
  // bar's redraws; what matters reaches the caller as an Error.
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

Input open_input(const std::filesystem::path& path) {
  quiet_logs();
  if (!std::filesystem::is_regular_file(path))
    throw Error(ErrorCode::io_error, "cannot open " + path.string() + ": no such file");
  AVFormatContext* raw = nullptr;
  const int opened = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (opened < 0) {
    // A container recognised from its first bytes that will not open is damaged or cut short.
    std::string head = read_first_bytes(path, 4096);
    head.resize(head.size() + AVPROBE_PADDING_SIZE, '\0');
    AVProbeData probe{path.c_str(), reinterpret_cast<unsigned char*>(head.data()),
                      static_cast<int>(head.size() - AVPROBE_PADDING_SIZE), nullptr};
    int score = 0;
    if (const AVInputFormat* format = av_probe_input_format3(&probe, 1, &score); format && score > AVPROBE_SCORE_EXTENSION)
      throw Error(ErrorCode::corrupt_image, path.string() + " is a damaged or truncated " + format->name + " file (" +
                                                error_text(opened) + ")");
    throw Error(ErrorCode::unsupported_format,
                path.string() + " is not a video FFmpeg can read (" + error_text(opened) + ")");
  }
  Input input(raw);
  check(avformat_find_stream_info(input.get(), nullptr), ErrorCode::corrupt_image,
        "cannot read the streams of " + path.string());
  return input;
}

FilterChain::FilterChain(bool audio, const std::string& source_arguments, const std::string& description)
    : graph_(avfilter_graph_alloc()) {
  if (!graph_) throw std::bad_alloc();
  // Frame conversions are light next to the model: one thread leaves the cores to it.
  graph_->nb_threads = 1;
  const char* source_name = audio ? "abuffer" : "buffer";
  const char* sink_name = audio ? "abuffersink" : "buffersink";
  const std::string what = "filters '" + description + "'";
  check(avfilter_graph_create_filter(&source_, avfilter_get_by_name(source_name), "in", source_arguments.c_str(),
                                     nullptr, graph_.get()),
        ErrorCode::invalid_argument, what);
  check(avfilter_graph_create_filter(&sink_, avfilter_get_by_name(sink_name), "out", nullptr, nullptr, graph_.get()),
        ErrorCode::invalid_argument, what);
  AVFilterInOut* outputs = avfilter_inout_alloc();
  AVFilterInOut* inputs = avfilter_inout_alloc();
  outputs->name = av_strdup("in");
  outputs->filter_ctx = source_;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = sink_;
  const int parsed = avfilter_graph_parse_ptr(graph_.get(), description.c_str(), &inputs, &outputs, nullptr);
  avfilter_inout_free(&inputs);
  avfilter_inout_free(&outputs);
  check(parsed, ErrorCode::invalid_argument, what);
  check(avfilter_graph_config(graph_.get(), nullptr), ErrorCode::invalid_argument, what);
}

void FilterChain::push(AVFrame* frame) {
  check(av_buffersrc_add_frame_flags(source_, frame, AV_BUFFERSRC_FLAG_KEEP_REF), ErrorCode::corrupt_image,
        "converting a frame");
}

bool FilterChain::pull(AVFrame* out) {
  const int got = av_buffersink_get_frame(sink_, out);
  if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return false;
  check(got, ErrorCode::corrupt_image, "converting a frame");
  return true;
}

AVRational FilterChain::output_time_base() const { return av_buffersink_get_time_base(sink_); }

}  // namespace rmbg::ffmpeg
