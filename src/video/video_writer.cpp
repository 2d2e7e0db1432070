// Encoding: RGBA frames through a filter chain (frame rate, size, pixel format or palette) into an
// encoder and a muxer, with the source's sound interleaved; or PNG files for a sequence.
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <vips/vips8>

#include "ffmpeg.hpp"
#include "video_formats.hpp"
#include "rmbg/files.hpp"

namespace fs = std::filesystem;

namespace rmbg {
namespace {

using namespace ffmpeg;

// Encoder settings per format: quality where it is cheap, speed where the codec is slow.
void set_encoder_options(VideoFormat format, AVCodecContext* c) {
  auto set = [c](const char* key, const char* value) { av_opt_set(c->priv_data, key, value, 0); };
  switch (format) {
    case VideoFormat::prores_mov:
      set("profile", "4444");
      set("vendor", "apl0");
      set("alpha_bits", "16");
      break;
    case VideoFormat::vp9_webm:
      set("deadline", "good");
      set("cpu-used", "5");
      set("row-mt", "1");
      set("crf", "30");
      c->bit_rate = 0;
      break;
    case VideoFormat::webp:
      c->global_quality = 75 * FF_QP2LAMBDA;
      break;
    case VideoFormat::h264_mp4:
      set("preset", "veryfast");
      set("crf", "20");
      break;
    case VideoFormat::gif:
    case VideoFormat::png_sequence:
      break;
  }
}

// Between the RGBA frames and the encoder: the rate, the size, then its pixel format (a GIF's
// palette is made for each frame, so that no frame waits for the whole clip).
std::string encoder_filters(const VideoFormatTraits& t, const VideoOutputSpec& spec, int width, int height) {
  std::string chain;
  if (spec.frame_rate > 0) chain += "fps=" + std::to_string(spec.frame_rate) + ",";
  if (spec.max_side > 0 && std::max(width, height) > spec.max_side) {
    const double scale = static_cast<double>(spec.max_side) / std::max(width, height);
    const auto even = [scale](int side) { return std::max(2, static_cast<int>(std::lround(side * scale / 2)) * 2); };
    chain += "scale=" + std::to_string(even(width)) + ":" + std::to_string(even(height)) + ":flags=area,";
  }
  if (t.format == VideoFormat::gif)
    return chain + "split[a][b];[a]palettegen=stats_mode=single:reserve_transparent=1[p];"
                   "[b][p]paletteuse=new=1:alpha_threshold=128";
  return chain + "format=" + t.pixels;
}

std::string temporary_name(const fs::path& path) {
  return path.string() + ".rmbg-" + std::to_string(getpid()) + ".tmp";
}

double seconds(std::int64_t ts, AVRational base) { return static_cast<double>(ts) * av_q2d(base); }

// Packets go to the muxer in its stream's time base; the muxer interleaves them.
void write_packet(AVFormatContext* muxer, AVPacket* packet, AVRational from, AVStream* to) {
  av_packet_rescale_ts(packet, from, to->time_base);
  packet->stream_index = to->index;
  check(av_interleaved_write_frame(muxer, packet), ErrorCode::io_error, "writing the video");
}

// Sends `frame` (nullptr: the end) to `encoder` and writes every packet that comes out.
void encode(AVCodecContext* encoder, AVFrame* frame, AVFormatContext* muxer, AVStream* stream, AVPacket* packet) {
  check(avcodec_send_frame(encoder, frame), ErrorCode::io_error, "encoding");
  while (true) {
    const int got = avcodec_receive_packet(encoder, packet);
    if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return;
    check(got, ErrorCode::io_error, "encoding");
    // Some encoders (libx264) leave it unset: the last frame's length would be the muxer's guess.
    if (packet->duration == 0 && encoder->framerate.num > 0)
      packet->duration = av_rescale_q(1, av_inv_q(encoder->framerate), encoder->time_base);
    write_packet(muxer, packet, encoder->time_base, stream);
  }
}

// The sound of the source's part, read with a demuxer of its own and written beside the frames
// up to each frame's time: copied, or decoded, trimmed and encoded again.
class SoundTrack {
 public:
  SoundTrack(const AudioSource& source, const VideoInfo& video, const VideoFormatTraits& t, AVFormatContext* muxer)
      : input_(open_input(source.path)), muxer_(muxer) {
    const int index = av_find_best_stream(input_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (index < 0) throw Error(ErrorCode::invalid_argument, source.path.string() + " has no sound");
    in_ = input_->streams[index];
    for (unsigned i = 0; i < input_->nb_streams; ++i)
      if (static_cast<int>(i) != index) input_->streams[i]->discard = AVDISCARD_ALL;
    from_ = video.origin;
    to_ = video.duration > 0 ? from_ + video.duration : std::numeric_limits<double>::infinity();
    if (source.range.duration > 0) to_ = std::min(to_, from_ + source.range.duration);
    out_ = avformat_new_stream(muxer, nullptr);
    if (!out_) throw std::bad_alloc();
    const bool copy = avformat_query_codec(muxer->oformat, in_->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 1;
    if (copy) {
      check(avcodec_parameters_copy(out_->codecpar, in_->codecpar), ErrorCode::io_error, "copying the sound");
      out_->codecpar->codec_tag = 0;
      out_->time_base = in_->time_base;
    } else {
      open_codecs(t.audio_encoder);
    }
    if (from_ > 0) {
      const auto ts = static_cast<std::int64_t>(from_ / av_q2d(in_->time_base));
      av_seek_frame(input_.get(), in_->index, ts, AVSEEK_FLAG_BACKWARD);
    }
  }

  // Writes the sound up to `until` seconds of the output.
  void write_until(double until) {
    while (!ended_ && written_ < until) read_one();
  }

  void finish() {
    write_until(std::numeric_limits<double>::infinity());
    if (!encoder_) return;
    decode(nullptr);
    chain_->push(nullptr);
    drain_chain();
    encode(encoder_.get(), nullptr, muxer_, out_, packet_.get());
  }

 private:
  void open_codecs(const char* encoder_name) {
    const AVCodec* decoder = find_decoder(*in_->codecpar);
    const AVCodec* encoder = avcodec_find_encoder_by_name(encoder_name);
    if (!decoder || !encoder)
      throw Error(ErrorCode::unsupported_format, std::string("the sound's codec (") +
                                                     avcodec_get_name(in_->codecpar->codec_id) + ") cannot be converted");
    decoder_.reset(avcodec_alloc_context3(decoder));
    encoder_.reset(avcodec_alloc_context3(encoder));
    if (!decoder_ || !encoder_) throw std::bad_alloc();
    check(avcodec_parameters_to_context(decoder_.get(), in_->codecpar), ErrorCode::corrupt_image, "the sound");
    decoder_->pkt_timebase = in_->time_base;
    check(avcodec_open2(decoder_.get(), decoder, nullptr), ErrorCode::unsupported_format, "the sound's decoder");
    // Opus runs at 48 kHz; AAC keeps the source's rate. Mono stays mono, more becomes stereo.
    encoder_->sample_rate = encoder->id == AV_CODEC_ID_OPUS ? 48000 : decoder_->sample_rate;
    encoder_->sample_fmt = encoder->sample_fmts ? encoder->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&encoder_->ch_layout, std::min(decoder_->ch_layout.nb_channels, 2));
    encoder_->time_base = {1, encoder_->sample_rate};
    encoder_->bit_rate = 128000;
    if (muxer_->oformat->flags & AVFMT_GLOBALHEADER) encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    check(avcodec_open2(encoder_.get(), encoder, nullptr), ErrorCode::unsupported_format, "the sound's encoder");
    check(avcodec_parameters_from_context(out_->codecpar, encoder_.get()), ErrorCode::io_error, "the sound");
    out_->time_base = encoder_->time_base;

    char layout[64] = {}, out_layout[64] = {};
    av_channel_layout_describe(&decoder_->ch_layout, layout, sizeof layout);
    av_channel_layout_describe(&encoder_->ch_layout, out_layout, sizeof out_layout);
    const std::string source = "time_base=" + std::to_string(in_->time_base.num) + "/" +
                               std::to_string(in_->time_base.den) + ":sample_rate=" +
                               std::to_string(decoder_->sample_rate) + ":sample_fmt=" +
                               av_get_sample_fmt_name(decoder_->sample_fmt) + ":channel_layout=" + layout;
    // Cut to the part, moved to start at the output's 0, converted, in the encoder's frame size.
    std::string filters = "atrim=start=" + std::to_string(from_);
    if (std::isfinite(to_)) filters += ":end=" + std::to_string(to_);
    filters += ",asetpts=PTS-" + std::to_string(from_) + "/TB,aresample=" + std::to_string(encoder_->sample_rate) +
               ",aformat=sample_fmts=" + av_get_sample_fmt_name(encoder_->sample_fmt) + ":channel_layouts=" + out_layout;
    if (encoder_->frame_size > 0) filters += ",asetnsamples=n=" + std::to_string(encoder_->frame_size) + ":p=1";
    chain_ = std::make_unique<FilterChain>(true, source, filters);
  }

  void read_one() {
    const int read = av_read_frame(input_.get(), packet_.get());
    if (read == AVERROR_EOF) {
      ended_ = true;
      return;
    }
    check(read, ErrorCode::corrupt_image, "reading the sound");
    if (packet_->stream_index != in_->index || packet_->pts == AV_NOPTS_VALUE) {
      av_packet_unref(packet_.get());
      return;
    }
    const double at = seconds(packet_->pts, in_->time_base);
    if (at >= to_) {
      ended_ = true;
      av_packet_unref(packet_.get());
      return;
    }
    if (encoder_) {
      decode(packet_.get());
      av_packet_unref(packet_.get());
      return;
    }
    written_ = at - from_;
    if (at < from_) {  // before the part: a copied packet cannot be cut
      av_packet_unref(packet_.get());
      return;
    }
    const auto shift = static_cast<std::int64_t>(std::llround(from_ / av_q2d(in_->time_base)));
    packet_->pts -= shift;
    if (packet_->dts != AV_NOPTS_VALUE) packet_->dts -= shift;
    packet_->pos = -1;
    write_packet(muxer_, packet_.get(), in_->time_base, out_);
  }

  void decode(AVPacket* packet) {
    const int sent = avcodec_send_packet(decoder_.get(), packet);
    if (sent < 0 && sent != AVERROR_INVALIDDATA) check(sent, ErrorCode::corrupt_image, "decoding the sound");
    while (avcodec_receive_frame(decoder_.get(), frame_.get()) == 0) {
      written_ = seconds(frame_->best_effort_timestamp, in_->time_base) - from_;
      frame_->pts = frame_->best_effort_timestamp;
      chain_->push(frame_.get());
      av_frame_unref(frame_.get());
      drain_chain();
    }
  }

  void drain_chain() {
    while (chain_->pull(frame_.get())) {
      frame_->pts = av_rescale_q(frame_->pts, chain_->output_time_base(), encoder_->time_base);
      encode(encoder_.get(), frame_.get(), muxer_, out_, packet_.get());
      av_frame_unref(frame_.get());
    }
  }

  Input input_;
  AVFormatContext* muxer_;
  AVStream* in_ = nullptr;
  AVStream* out_ = nullptr;
  double from_ = 0, to_ = 0;  // the part, in seconds of the source
  double written_ = 0;        // output seconds read so far
  bool ended_ = false;
  Codec decoder_, encoder_;
  std::unique_ptr<FilterChain> chain_;
  Packet packet_ = new_packet();
  Frame frame_ = new_frame();
};

struct CloseOutput {
  void operator()(AVFormatContext* f) const {
    if (f->pb) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};

}  // namespace

struct VideoWriter::State {
  fs::path path;
  fs::path temporary;
  const VideoFormatTraits* t = nullptr;
  VideoInfo source;
  bool finished = false;
  // An encoded video
  std::unique_ptr<AVFormatContext, CloseOutput> muxer;
  AVStream* stream = nullptr;
  Codec encoder;
  std::unique_ptr<FilterChain> chain;
  std::unique_ptr<SoundTrack> sound;
  Packet packet = new_packet();
  Frame frame = new_frame();
  Frame filtered = new_frame();
  // A PNG sequence
  std::ofstream times;
  std::int64_t frames = 0;

  void open_sequence() {
    fs::create_directories(temporary);
    times.open(temporary / "frames.txt");
    times << "# frame time_base pts seconds\n";
    if (!times) throw Error(ErrorCode::io_error, "cannot write " + (temporary / "frames.txt").string());
  }

  void open_video(const VideoOutputSpec& spec, const std::optional<AudioSource>& audio) {
    quiet_logs();
    AVFormatContext* raw = nullptr;
    check(avformat_alloc_output_context2(&raw, nullptr, t->muxer, temporary.c_str()), ErrorCode::io_error,
          "cannot make a " + std::string(t->name) + " file");
    muxer.reset(raw);
    const AVCodec* codec = avcodec_find_encoder_by_name(t->encoder);
    if (!codec) throw Error(ErrorCode::unsupported_format, std::string("the encoder ") + t->encoder + " is missing");
    char arguments[256];
    std::snprintf(arguments, sizeof arguments, "video_size=%dx%d:pix_fmt=rgba:time_base=%d/%d:pixel_aspect=1/1",
                  source.width, source.height, source.time_base.num, source.time_base.den);
    chain = std::make_unique<FilterChain>(false, arguments, encoder_filters(*t, spec, source.width, source.height));
    encoder.reset(avcodec_alloc_context3(codec));
    if (!encoder) throw std::bad_alloc();
    AVFilterContext* sink = chain->sink();
    encoder->width = av_buffersink_get_w(sink);
    encoder->height = av_buffersink_get_h(sink);
    encoder->pix_fmt = static_cast<AVPixelFormat>(av_buffersink_get_format(sink));
    encoder->time_base = chain->output_time_base();
    encoder->framerate = spec.frame_rate > 0 ? av_d2q(spec.frame_rate, 1000000) : to_av(source.frame_rate);
    encoder->sample_aspect_ratio = {1, 1};
    encoder->thread_count = 2;
    if (muxer->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    set_encoder_options(t->format, encoder.get());
    check(avcodec_open2(encoder.get(), codec, nullptr), ErrorCode::unsupported_format,
          std::string("cannot open the ") + t->encoder + " encoder");
    stream = avformat_new_stream(muxer.get(), nullptr);
    if (!stream) throw std::bad_alloc();
    check(avcodec_parameters_from_context(stream->codecpar, encoder.get()), ErrorCode::io_error, "the video");
    stream->time_base = encoder->time_base;
    stream->avg_frame_rate = encoder->framerate;
    if (t->format == VideoFormat::vp9_webm) av_dict_set(&stream->metadata, "alpha_mode", "1", 0);
    if (audio && t->sound) sound = std::make_unique<SoundTrack>(*audio, source, *t, muxer.get());
    check(avio_open(&muxer->pb, temporary.c_str(), AVIO_FLAG_WRITE), ErrorCode::io_error,
          "cannot write " + temporary.string());
    AVDictionary* options = nullptr;
    if (t->format == VideoFormat::h264_mp4) av_dict_set(&options, "movflags", "+faststart", 0);
    if (t->format == VideoFormat::webp || t->format == VideoFormat::gif) av_dict_set(&options, "loop", "0", 0);  // for ever
    const int header = avformat_write_header(muxer.get(), &options);
    av_dict_free(&options);
    check(header, ErrorCode::io_error, "cannot write " + temporary.string());
  }

  void write_png(const VideoFrame& f) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06lld.png", static_cast<long long>(frames));
    const vips::VImage image = vips::VImage::new_from_memory(const_cast<std::uint8_t*>(f.rgba.data()), f.rgba.size(),
                                                             f.width, f.height, 4, VIPS_FORMAT_UCHAR);
    try {
      image.pngsave((temporary / name).c_str(), vips::VImage::option()->set("compression", 3));
    } catch (const vips::VError& e) {
      throw Error(ErrorCode::io_error, "cannot write " + (temporary / name).string() + ": " + e.what());
    }
    times << name << ' ' << source.time_base.num << '/' << source.time_base.den << ' ' << f.pts << ' '
          << std::to_string(f.seconds) << '\n';
    if (!times) throw Error(ErrorCode::io_error, "cannot write " + (temporary / "frames.txt").string());
  }

  void encode_filtered() {
    while (chain->pull(filtered.get())) {
      if (sound) sound->write_until(seconds(filtered->pts, chain->output_time_base()));
      filtered->pict_type = AV_PICTURE_TYPE_NONE;
      encode(encoder.get(), filtered.get(), muxer.get(), stream, packet.get());
      av_frame_unref(filtered.get());
    }
  }
};

VideoWriter::VideoWriter(const fs::path& path, const VideoOutputSpec& spec, const VideoInfo& source,
                         const std::optional<AudioSource>& audio)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  s.t = &video_format_traits(spec.format);
  s.source = source;
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  s.temporary = temporary_name(path);
  remember_temporary_file(s.temporary);
  try {
    if (spec.format == VideoFormat::png_sequence) {
      if (spec.frame_rate > 0 || spec.max_side > 0)
        throw Error(ErrorCode::invalid_argument, "a PNG sequence keeps every frame at its size: no --fps or --max-side");
      s.open_sequence();
    } else {
      s.open_video(spec, audio);
    }
  } catch (...) {
    state_.reset();  // the destructor's clean-up, now
    std::error_code ec;
    fs::remove_all(temporary_name(path), ec);
    forget_temporary_file(temporary_name(path));
    throw;
  }
}

VideoWriter::~VideoWriter() {
  if (!state_ || state_->finished) return;
  const fs::path temporary = state_->temporary;
  state_.reset();  // closes the file before it is deleted
  std::error_code ec;
  fs::remove_all(temporary, ec);
  forget_temporary_file(temporary);
}

bool VideoWriter::writes_audio() const { return state_->sound != nullptr; }

void VideoWriter::write(const VideoFrame& f) {
  State& s = *state_;
  if (f.width != s.source.width || f.height != s.source.height || f.rgba.size() != static_cast<size_t>(f.width) * f.height * 4)
    throw Error(ErrorCode::invalid_argument, "a frame of another size than the video's");
  ++s.frames;
  if (!s.chain) return s.write_png(f);
  AVFrame& frame = *s.frame;
  frame.width = f.width;
  frame.height = f.height;
  frame.format = AV_PIX_FMT_RGBA;
  frame.pts = f.pts;
  frame.data[0] = const_cast<std::uint8_t*>(f.rgba.data());
  frame.linesize[0] = f.width * 4;
  s.chain->push(&frame);
  frame.data[0] = nullptr;
  s.encode_filtered();
}

void VideoWriter::finish() {
  State& s = *state_;
  if (s.frames == 0) throw Error(ErrorCode::invalid_argument, "no frame to write");
  if (s.chain) {
    s.chain->push(nullptr);
    s.encode_filtered();
    encode(s.encoder.get(), nullptr, s.muxer.get(), s.stream, s.packet.get());
    if (s.sound) s.sound->finish();
    check(av_write_trailer(s.muxer.get()), ErrorCode::io_error, "cannot write " + s.path.string());
    check(avio_closep(&s.muxer->pb), ErrorCode::io_error, "cannot write " + s.path.string());
  } else {
    s.times.close();
    if (!s.times) throw Error(ErrorCode::io_error, "cannot write " + (s.temporary / "frames.txt").string());
  }
  // A sequence's folder replaces an old one whole; a file is replaced by the rename itself.
  std::error_code ec;
  if (s.t->format == VideoFormat::png_sequence) fs::remove_all(s.path, ec);
  fs::rename(s.temporary, s.path, ec);
  if (ec) throw Error(ErrorCode::io_error, "cannot write " + s.path.string() + ": " + ec.message());
  forget_temporary_file(s.temporary);
  s.finished = true;
}

}  // namespace rmbg
