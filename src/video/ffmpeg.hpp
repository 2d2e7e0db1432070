#pragma once
// FFmpeg's C objects owned by C++ handles, its error codes turned into rmbg::Error, and the
// filter graphs both the reader and the writer convert frames with.
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
}

#include "rmbg/error.hpp"
#include "rmbg/video.hpp"

namespace rmbg::ffmpeg {

struct FreeCodec {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FreeFrame {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct FreePacket {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct CloseInput {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct FreeGraph {
  void operator()(AVFilterGraph* g) const { avfilter_graph_free(&g); }
};
using Codec = std::unique_ptr<AVCodecContext, FreeCodec>;
using Frame = std::unique_ptr<AVFrame, FreeFrame>;
using Packet = std::unique_ptr<AVPacket, FreePacket>;
using Input = std::unique_ptr<AVFormatContext, CloseInput>;
using Graph = std::unique_ptr<AVFilterGraph, FreeGraph>;

Frame new_frame();
Packet new_packet();
std::string error_text(int code);
// Throws Error(`code`, what + ": " + FFmpeg's reason) when `result` is negative; returns it.
int check(int result, ErrorCode code, const std::string& what);

inline AVRational to_av(Rational r) { return {r.num, r.den}; }
inline Rational from_av(AVRational r) { return {r.num, r.den}; }

// The decoder for `parameters`: libvpx's for VP9, whose alpha FFmpeg's own VP9 decoder drops.
const AVCodec* find_decoder(const AVCodecParameters& parameters);

// Only FFmpeg's errors are logged, once this has run (every open_input runs it).
void quiet_logs();

// The input `path`, its streams probed. Throws unsupported_format for what FFmpeg cannot read.
Input open_input(const std::filesystem::path& path);

// A chain of FFmpeg filters from a frame source to a sink: frames in, frames out.
class FilterChain {
 public:
  // `source_arguments`: the buffer source's ("video_size=...:pix_fmt=...:time_base=..."), or
  // abuffer's for sound; `description`: the filters between source and sink, "null" for none.
  FilterChain(bool audio, const std::string& source_arguments, const std::string& description);
  void push(AVFrame* frame);  // nullptr: no more frames
  // The next filtered frame into `out`; false when the chain needs more input or has ended.
  bool pull(AVFrame* out);
  AVRational output_time_base() const;
  AVFilterContext* sink() const { return sink_; }

 private:
  Graph graph_;
  AVFilterContext* source_ = nullptr;
  AVFilterContext* sink_ = nullptr;
};

}  // namespace rmbg::ffmpeg
